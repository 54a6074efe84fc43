//! Handlers the pages link to outside the JSON API: the Markdown download, the Atom feed and the
//! live stream. Signed in by session (the feed also by `?token=`); thin like every other handler.

use super::{IncidentId, SessionUser};
use crate::error::{AppError, AppResult};
use crate::server::{accounts, live, postmortems as ops, AppState};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;

/// The download button's Markdown, for a signed-in reader (the API has the same behind a token).
pub async fn postmortem_markdown(
    State(s): State<AppState>,
    SessionUser(user): SessionUser,
    IncidentId(id): IncidentId,
) -> AppResult<Response> {
    Ok(super::markdown_response(&s, &user, id).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
}

/// The Atom feed of publications. Feed readers cannot sign in, so a feed token (made on the library
/// page, good for nothing else) in `?token=` also works; an API token there does not, so a full
/// token never ends up in a feed reader's settings or a proxy's log.
pub async fn library_feed(
    State(s): State<AppState>,
    session: tower_sessions::Session,
    Query(q): Query<FeedQuery>,
) -> AppResult<Response> {
    let user = match q.token.as_deref() {
        Some(token) => accounts::feed_user(&s.pool, token).await?,
        None => accounts::session_user(&s.pool, &session, &Default::default()).await?,
    };
    let xml = ops::atom_feed(&s.pool, &user).await?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

/// The Atom feed of status updates: for whoever may read the status page (signed in, a feed token,
/// or anyone when it is public).
pub async fn status_feed(
    State(s): State<AppState>,
    session: tower_sessions::Session,
    Query(q): Query<FeedQuery>,
) -> AppResult<Response> {
    let user = match q.token.as_deref() {
        Some(token) => Some(accounts::feed_user(&s.pool, token).await?),
        None => match accounts::session_user(&s.pool, &session, &Default::default()).await {
            Ok(user) => Some(user),
            Err(AppError::Unauthorized | AppError::SetupRequired) => None,
            Err(e) => return Err(e),
        },
    };
    let xml = crate::server::status::feed(&s.pool, user.as_ref()).await?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

#[derive(serde::Deserialize)]
pub struct UnsubscribeQuery {
    #[serde(default)]
    u: String,
    #[serde(default)]
    t: String,
}

/// What a reminder mail's "Stop these mails" link opens: a button, since mail scanners follow links
/// (a GET never changes anything).
pub async fn unsubscribe_page(Query(q): Query<UnsubscribeQuery>) -> Response {
    let esc = crate::domain::notify::html_escape;
    let action = format!("/email/unsubscribe?u={}&t={}", link_part(&q.u), link_part(&q.t));
    small_page(&format!(
        "<h1>Stop reminder mail?</h1><p>Debrief mails you each morning while you have overdue action items.</p>\
         <form method=\"post\" action=\"{}\"><button type=\"submit\" class=\"button primary\">Stop these mails</button></form>",
        esc(&action)
    ))
}

/// The one-click unsubscribe (RFC 8058: mail clients POST here), and the page's button.
pub async fn unsubscribe(State(s): State<AppState>, Query(q): Query<UnsubscribeQuery>) -> AppResult<Response> {
    crate::server::actions::unsubscribe(&s.pool, &q.u, &q.t).await?;
    Ok(small_page("<h1>Reminder mail is off</h1><p>You will get no more reminder mail. Your action items are still in <a href=\"/actions/mine\">Debrief</a>.</p>"))
}

/// A query value as the unsubscribe form repeats it: only what ids and tokens are made of.
fn link_part(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

/// A page outside the app's layout, for someone who may not be signed in.
fn small_page(body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Debrief</title></head><body><main>{body}</main></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The audit log page's CSV download, for a signed-in admin (the API has `?format=csv`).
pub async fn audit_csv(
    State(s): State<AppState>,
    SessionUser(user): SessionUser,
    Query(q): Query<crate::server::audit::Params>,
) -> AppResult<Response> {
    Ok(super::people::csv_response(crate::server::audit::csv(&s.pool, &user, &q).await?))
}

/// The insights page's downloads, for whoever is signed in: `/insights.csv` (`rows=figures` or
/// `incidents`) and `/insights.json`, with the page's filters.
pub async fn insights_download(
    State(s): State<AppState>,
    SessionUser(user): SessionUser,
    uri: axum::http::Uri,
    Query(mut q): Query<super::insights::InsightsQuery>,
) -> AppResult<Response> {
    q.format = Some(if uri.path().ends_with(".json") { "json" } else { "csv" }.into());
    super::insights::export(&s, &user, &q).await
}

#[derive(serde::Deserialize)]
pub struct SsoStart {
    next: Option<String>,
}

/// Where a single sign-on problem is told: the sign-in page, with what happened and what to do.
fn sso_problem(p: crate::domain::sso::SsoProblem) -> Response {
    axum::response::Redirect::to(&format!("/login?sso={}", p.as_str())).into_response()
}

/// `GET /sso/start?next=`: off to the identity provider (a plain link, so it works without JavaScript).
pub async fn sso_start(
    State(s): State<AppState>,
    session: tower_sessions::Session,
    Query(q): Query<SsoStart>,
) -> Response {
    let Some(sso) = &s.sso else { return sso_problem(crate::domain::sso::SsoProblem::NotConfigured) };
    match sso.start(&session, &crate::api::auth::safe_next(q.next.as_deref())).await {
        Ok(Ok(url)) => axum::response::Redirect::to(&url).into_response(),
        Ok(Err(p)) => sso_problem(p),
        Err(e) => e.into_response(),
    }
}

/// `GET /sso/callback?code=&state=`: back from the identity provider.
pub async fn sso_callback(
    State(s): State<AppState>,
    session: tower_sessions::Session,
    parts: axum::http::request::Parts,
    answer: Result<Query<crate::server::sso::Callback>, axum::extract::rejection::QueryRejection>,
) -> Response {
    use crate::domain::sso::SsoProblem;
    let Some(sso) = &s.sso else { return sso_problem(SsoProblem::NotConfigured) };
    let Ok(Query(answer)) = answer else { return sso_problem(SsoProblem::MissingParameters) };
    match sso.finish(&s.pool, &session, &answer, &super::client(&parts)).await {
        Ok(Ok((_, next))) => axum::response::Redirect::to(&next).into_response(),
        Ok(Err(p)) => sso_problem(p),
        Err(e) => e.into_response(),
    }
}

/// `GET /metrics` for Prometheus: an admin's API token (`Authorization: Bearer`, any scope but
/// feed), or an admin signed in.
pub async fn metrics(
    State(s): State<AppState>,
    session: tower_sessions::Session,
    mut parts: axum::http::request::Parts,
) -> AppResult<Response> {
    // A token is read (and its scope decided) exactly as for the JSON API.
    let user = if parts.headers.contains_key(header::AUTHORIZATION) {
        use axum::extract::FromRequestParts;
        let super::ApiUser(user) = super::ApiUser::from_request_parts(&mut parts, &s).await?;
        user
    } else {
        accounts::session_user(&s.pool, &session, &super::client(&parts)).await?
    };
    let text = crate::server::metrics::render(&s.pool, &user).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// `GET /live/incidents/{id}`: Server-Sent Events, one "changed" event per change to the incident.
pub async fn incident_stream(
    State(s): State<AppState>,
    SessionUser(user): SessionUser,
    IncidentId(id): IncidentId,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let changes = live::incident_changes(&s.pool, &s.live, user, id).await?;
    let events = changes.map(|what| Ok(Event::default().event("changed").data(what)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
