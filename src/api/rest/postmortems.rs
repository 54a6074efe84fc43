use super::{ApiJson, ApiUser, IncidentId};
use crate::domain::postmortem::{Postmortem, Section, TemplateSection};
use crate::domain::User;
use crate::error::{AppError, AppResult};
use crate::server::postmortems::{self as ops, SectionSave};
use crate::server::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

pub async fn start(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    let (pm, created) = ops::start(&s.pool, &user, id).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(pm)))
}

pub async fn show(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Postmortem>> {
    Ok(Json(ops::get(&s.pool, &user, id).await?))
}

/// The section key is the second path segment after the incident id.
fn section_key(path: &[(String, String)]) -> AppResult<String> {
    path.iter()
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| AppError::NotFound("No such section".into()))
}

pub async fn save_section(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    Path(path): Path<Vec<(String, String)>>,
    ApiJson(save): ApiJson<SectionSave>,
) -> AppResult<Json<Section>> {
    Ok(Json(ops::save_section(&s.pool, &user, id, &section_key(&path)?, save).await?))
}

/// A numeric id in the path under `name`; anything else is a 404, like an id that does not exist.
fn path_id(path: &[(String, String)], name: &str, what: &str) -> AppResult<i64> {
    let raw = path.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    raw.parse().map_err(|_| AppError::NotFound(format!("There is no {what} {raw:?}")))
}

#[derive(serde::Deserialize)]
pub struct TimelineChoice {
    include: bool,
}

pub async fn toggle_timeline_event(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    Path(path): Path<Vec<(String, String)>>,
    ApiJson(choice): ApiJson<TimelineChoice>,
) -> AppResult<Json<Postmortem>> {
    let event_id = path_id(&path, "event_id", "key event")?;
    Ok(Json(ops::toggle_timeline_event(&s.pool, &user, id, event_id, choice.include).await?))
}

pub async fn add_factor(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<ops::FactorInput>,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    Ok((StatusCode::CREATED, Json(ops::add_factor(&s.pool, &user, id, &input).await?)))
}

pub async fn remove_factor(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    Path(path): Path<Vec<(String, String)>>,
) -> AppResult<Json<Postmortem>> {
    let factor_id = path_id(&path, "factor_id", "contributing factor")?;
    Ok(Json(ops::remove_factor(&s.pool, &user, id, factor_id).await?))
}

/// A page of a section's versions, newest first (`limit`, `cursor`); the total and the next page are
/// in the headers.
pub async fn revisions(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    uri: axum::http::Uri,
    Path(path): Path<Vec<(String, String)>>,
    super::ApiQuery(q): super::ApiQuery<ops::RevisionsQuery>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::revisions(&s.pool, &user, id, &section_key(&path)?, &q).await?))
}

/// A page of the review comments, oldest first (`limit`, `cursor`).
pub async fn comments(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    uri: axum::http::Uri,
    super::ApiQuery(q): super::ApiQuery<ops::RevisionsQuery>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::comments(&s.pool, &user, id, &q).await?))
}

pub async fn markdown(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<impl IntoResponse> {
    markdown_response(&s, &user, id).await
}

/// `text/markdown`, named after the incident, for the API and the page's download button alike.
pub async fn markdown_response(s: &AppState, user: &User, id: i64) -> AppResult<impl IntoResponse + use<>> {
    let md = ops::export(&s.pool, user, id).await?;
    let filename = format!("attachment; filename=\"{}-postmortem.md\"", crate::domain::incident_ref(id));
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, filename)],
        md,
    ))
}

pub async fn template(State(s): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<Vec<TemplateSection>>> {
    Ok(Json(ops::template(&s.pool, &user).await?))
}

pub async fn replace_template(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(sections): ApiJson<Vec<TemplateSection>>,
) -> AppResult<Json<Vec<TemplateSection>>> {
    Ok(Json(ops::save_template(&s.pool, &user, &sections).await?))
}

#[derive(serde::Deserialize, Default)]
pub struct SubmitInput {
    /// Each a user id, or a name or email.
    #[serde(default)]
    reviewers: Vec<crate::server::people::Person>,
}

pub async fn submit(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    body: axum::body::Bytes,
) -> AppResult<Json<Postmortem>> {
    // The body is optional: no reviewers named means admins review.
    let input: SubmitInput = optional_json(&body)?;
    Ok(Json(ops::submit(&s.pool, &user, id, &input.reviewers).await?))
}

pub async fn approve(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Postmortem>> {
    Ok(Json(ops::approve(&s.pool, &user, id).await?))
}

#[derive(serde::Deserialize)]
pub struct CommentInput {
    #[serde(default)]
    comment: String,
    section: Option<String>,
}

pub async fn request_changes(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(c): ApiJson<CommentInput>,
) -> AppResult<Json<Postmortem>> {
    Ok(Json(ops::request_changes(&s.pool, &user, id, c.section.as_deref(), &c.comment).await?))
}

pub async fn comment(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(c): ApiJson<CommentInput>,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    Ok((StatusCode::CREATED, Json(ops::comment(&s.pool, &user, id, c.section.as_deref(), &c.comment).await?)))
}

#[derive(serde::Deserialize, Default)]
pub struct PublishInput {
    #[serde(default)]
    override_reason: Option<String>,
}

/// The body is optional: `{"override_reason": "…"}` lets an admin publish without an independent approval.
pub async fn publish(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    body: axum::body::Bytes,
) -> AppResult<Json<Postmortem>> {
    let input: PublishInput = optional_json(&body)?;
    Ok(Json(ops::publish(&s.pool, &user, id, input.override_reason.as_deref()).await?))
}

/// A JSON body that may be left out altogether.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> AppResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| AppError::Invalid {
        message: format!("The request body is not valid: {e}"),
        fields: Default::default(),
        values: Default::default(),
    })
}

#[derive(serde::Deserialize)]
pub struct CloseInput {
    #[serde(default)]
    reason: String,
}

pub async fn close(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(c): ApiJson<CloseInput>,
) -> AppResult<Json<crate::domain::Incident>> {
    Ok(Json(crate::server::incidents::close_without_postmortem(&s.pool, &user, id, &c.reason).await?))
}

/// A page of the library (`limit`, `cursor`); the total and the next page are in the headers.
pub async fn library(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: axum::http::Uri,
    super::ApiQuery(q): super::ApiQuery<ops::LibraryQuery>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::library(&s.pool, &user, &q).await?))
}

pub async fn settings(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
) -> AppResult<Json<crate::server::webhook::Settings>> {
    Ok(Json(crate::server::webhook::settings_for(&s.pool, &user).await?))
}

pub async fn save_settings(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(new): ApiJson<crate::server::webhook::SettingsInput>,
) -> AppResult<Json<crate::server::webhook::Settings>> {
    Ok(Json(crate::server::webhook::save_settings(&s.pool, &user, &new).await?))
}
