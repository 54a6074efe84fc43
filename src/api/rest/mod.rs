//! The JSON API under `/api/v1`. Handlers are thin: authenticate, parse, call `server::`, serialise.

mod actions;
mod destinations;
mod incidents;
mod insights;
mod integrations;
pub mod openapi;
mod people;
mod postmortems;
mod site;
mod status;

use postmortems::markdown_response;

use crate::domain::User;
use crate::error::AppError;
use crate::server::{accounts, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

/// One table per router: it builds the router and lists its routes as `(METHOD, path)`, so the
/// authorization matrix test walks exactly what is served and a route added without a row fails it.
macro_rules! route_table {
    ($list:ident, $build:ident; $($path:literal => $m:ident($h:expr) $(. $more:ident($h2:expr))*;)+) => {
        pub fn $list() -> Vec<(&'static str, &'static str)> {
            [$(
                vec![(method_name(stringify!($m)), $path) $(, (method_name(stringify!($more)), $path))*]
            ),+]
            .concat()
        }

        fn $build() -> Router<AppState> {
            Router::new() $(.route($path, $m($h) $(.$more($h2))*))+
        }
    };
}

fn method_name(routing_fn: &str) -> &'static str {
    match routing_fn {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        "delete" => "DELETE",
        other => unreachable!("add {other} to method_name"),
    }
}

route_table! { site_routes, site_table;
    "/live/incidents/{id}" => get(site::incident_stream);
    // `reference`, like the page route beside it: the router needs one name per position.
    "/incidents/{reference}/postmortem.md" => get(site::postmortem_markdown);
    "/library/feed.xml" => get(site::library_feed);
    "/status/feed.xml" => get(site::status_feed);
    "/email/unsubscribe" => get(site::unsubscribe_page).post(site::unsubscribe);
    "/audit.csv" => get(site::audit_csv);
    "/insights.csv" => get(site::insights_download);
    "/insights.json" => get(site::insights_download);
    "/sso/start" => get(site::sso_start);
    "/sso/callback" => get(site::sso_callback);
    "/metrics" => get(site::metrics);
}

route_table! { api_routes, api_table;
    "/openapi.json" => get(openapi::document);
    "/me" => get(me);
    "/incidents" => get(incidents::list).post(incidents::create);
    "/incidents/{id}" => get(incidents::show).patch(incidents::update);
    "/incidents/{id}/timeline" => get(incidents::timeline).post(incidents::add_event);
    "/incidents/{id}/participants" => post(incidents::add_participant);
    "/incidents/{id}/updates" => get(incidents::list_updates).post(incidents::post_update);
    "/incidents/{id}/milestones" => get(incidents::milestones);
    "/incidents/{id}/milestones/{moment}" => put(incidents::correct_milestone);
    "/incidents/{id}/participants/{user_id}" => delete(incidents::remove_participant);
    "/incidents/{id}/actions" => post(actions::create);
    "/actions" => get(actions::list);
    "/actions/{id}" => get(actions::show).patch(actions::update);
    "/actions/{id}/check" => post(actions::check);
    "/actions/{id}/follow-up" => post(actions::follow_up);
    "/incidents/{id}/postmortem" => get(postmortems::show).post(postmortems::start);
    "/incidents/{id}/postmortem.md" => get(postmortems::markdown);
    "/incidents/{id}/postmortem/sections/{key}" => put(postmortems::save_section);
    "/incidents/{id}/postmortem/sections/{key}/revisions" => get(postmortems::revisions);
    "/postmortem-template" => get(postmortems::template).put(postmortems::replace_template);
    "/incidents/{id}/postmortem/submit" => post(postmortems::submit);
    "/incidents/{id}/postmortem/approve" => post(postmortems::approve);
    "/incidents/{id}/postmortem/request-changes" => post(postmortems::request_changes);
    "/incidents/{id}/postmortem/comments" => get(postmortems::comments).post(postmortems::comment);
    "/incidents/{id}/postmortem/publish" => post(postmortems::publish);
    "/incidents/{id}/postmortem/timeline/{event_id}" => put(postmortems::toggle_timeline_event);
    "/incidents/{id}/postmortem/factors" => post(postmortems::add_factor);
    "/incidents/{id}/postmortem/factors/{factor_id}" => delete(postmortems::remove_factor);
    "/incidents/{id}/close" => post(postmortems::close);
    "/library" => get(postmortems::library);
    "/settings" => get(postmortems::settings).put(postmortems::save_settings);
    "/tokens" => get(people::list_tokens).post(people::create_token);
    "/tokens/{id}" => delete(people::revoke_token);
    "/users" => get(people::list_users);
    "/users/{id}" => patch(people::change_user);
    "/audit" => get(people::audit_log);
    "/insights" => get(insights::figures);
    "/incidents/{id}/accept" => post(integrations::accept);
    "/incidents/{id}/decline" => post(integrations::decline);
    "/integrations" => get(integrations::list).post(integrations::create);
    "/integrations/rules" => get(integrations::rules).put(integrations::set_rules);
    "/integrations/alertmanager" => post(integrations::alertmanager);
    "/integrations/generic" => post(integrations::generic);
    "/integrations/{id}" => delete(integrations::revoke);
    "/destinations" => get(destinations::list).post(destinations::create);
    "/destinations/{id}" => patch(destinations::update).delete(destinations::remove);
    "/destinations/{id}/deliveries" => get(destinations::deliveries);
    "/destinations/{id}/test" => post(destinations::send_test);
    "/status" => get(status::page);
    "/services" => get(status::services).post(status::add_service);
    "/services/{id}" => delete(status::remove_service);
}

/// The routes outside `/api/v1` that pages link to: downloads, the feed and live streams.
pub fn site_router() -> Router<AppState> {
    site_table()
}

/// The most a JSON body may hold (axum's default, made explicit): a text at any field's limit fits, so
/// an over-long field is told by name (422) and only a body far beyond any of them is a 413.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The JSON API, mounted under `/api/v1`.
pub fn router() -> Router<AppState> {
    api_table()
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .fallback(|| async { AppError::NotFound("No such API endpoint".into()) })
        .method_not_allowed_fallback(|| async {
            AppError::MethodNotAllowed("This endpoint does not support that method".into())
        })
}

/// The client's address and user agent, from the connection and the headers.
pub(super) fn client(parts: &Parts) -> accounts::Client {
    let address = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    accounts::Client::new(address, &parts.headers)
}

/// A numeric id in the path; anything else is a 404 naming `what`.
fn id_in_path(raw: &str, what: &str) -> crate::error::AppResult<i64> {
    raw.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| AppError::NotFound(format!("No {what} {raw:?}")))
}

/// The token of `Authorization: Bearer <token>` (API tokens and integration tokens alike).
fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, AppError> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthorized)
}

/// The user behind `Authorization: Bearer <token>`, if the token's scope allows this request: a
/// read-only token only reads, a feed token is for the feed alone.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        let mut user = accounts::token_user(&state.pool, token).await?;
        if let Some((_, scope)) = user.origin.token {
            scope.allows_api(parts.method.as_str()).map_err(|m| AppError::Forbidden(m.into()))?;
        }
        user.origin.address = client(parts).address_text();
        Ok(ApiUser(user))
    }
}

/// The token's user when the request has an `Authorization` header, none without one (for what
/// may be read signed out); a bad token is refused as anywhere else.
pub struct MaybeApiUser(pub Option<User>);

impl FromRequestParts<AppState> for MaybeApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            return Ok(MaybeApiUser(None));
        }
        Ok(MaybeApiUser(Some(ApiUser::from_request_parts(parts, state).await?.0)))
    }
}

/// The user signed in by session cookie, for the handlers that pages link to.
pub struct SessionUser(pub User);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, m)| crate::error::internal(m))?;
        accounts::session_user(&state.pool, &session, &client(parts)).await.map(SessionUser)
    }
}

/// JSON body whose parse errors come back in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::TooLarge(format!(
                "The request body is over {} KiB: send less at once",
                BODY_LIMIT / 1024
            ))),
            Err(e) => Err(AppError::Invalid {
                message: match e {
                    JsonRejection::MissingJsonContentType(_) => "Send JSON with Content-Type: application/json".into(),
                    other => format!("The request body is not valid: {}", other.body_text()),
                },
                fields: Default::default(),
                values: Default::default(),
            }),
        }
    }
}

/// The `{id}` (or `{reference}`) segment of the path as text (empty when it is missing or not even UTF-8).
async fn path_id<S: Send + Sync>(parts: &mut Parts, state: &S) -> String {
    Path::<Vec<(String, String)>>::from_request_parts(parts, state)
        .await
        .ok()
        .and_then(|p| p.0.into_iter().find(|(k, _)| k == "id" || k == "reference").map(|(_, v)| v))
        .unwrap_or_default()
}

/// The incident id in the path. One that is not a number (or not even text) is a 404, like any id
/// that does not exist.
pub struct IncidentId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IncidentId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = path_id(parts, state).await;
        crate::domain::parse_incident_ref(&raw)
            .map(IncidentId)
            .ok_or_else(|| AppError::no_incident(format_args!("{raw:?}")))
    }
}

/// The action item id in the path; like `IncidentId`, anything that is not one is a 404.
pub struct ActionId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ActionId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = path_id(parts, state).await;
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(ActionId)
            .ok_or_else(|| AppError::no_action_item(format_args!("{raw:?}")))
    }
}

/// A query string whose parse errors come back in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state).await.map(|q| ApiQuery(q.0)).map_err(|e| AppError::Invalid {
            message: format!("The query string is not valid: {}", e.body_text()),
            fields: Default::default(),
            values: Default::default(),
        })
    }
}

/// A page of a list as the API answers it: the items as a JSON array (so a client that reads only the
/// first page sees the list it always did), the whole list's count in `X-Total-Count`, and the next
/// page, when there is one, as `Link: <…&cursor=…>; rel="next"`.
/// `?cursor=&limit=` of a paged list.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

fn paged<T: serde::Serialize>(uri: &axum::http::Uri, page: crate::domain::paging::Page<T>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = Json(page.items).into_response();
    let headers = res.headers_mut();
    headers.insert("x-total-count", page.total.into());
    if let Some(next) = page.next {
        let others = uri.query().unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="));
        let query: Vec<String> = others.map(str::to_string).chain([format!("cursor={next}")]).collect();
        let link = format!("</api/v1{}?{}>; rel=\"next\"", uri.path(), query.join("&"));
        if let Ok(v) = axum::http::HeaderValue::from_str(&link) {
            headers.insert(axum::http::header::LINK, v);
        }
    }
    res
}

#[utoipa::path(
    get,
    operation_id = "me",
    path = "/me",
    tag = "account",
    responses((status = 200, description = "The token's user", body = User))
)]
async fn me(ApiUser(user): ApiUser) -> Json<User> {
    Json(user)
}
