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

#[utoipa::path(
    post,
    operation_id = "postmortems_start",
    path = "/incidents/{id}/postmortem",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 201, description = "Started from the template", body = Postmortem), (status = 200, description = "The one started before", body = Postmortem))
)]
pub async fn start(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    let (pm, created) = ops::start(&s.pool, &user, id).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(pm)))
}

#[utoipa::path(
    get,
    operation_id = "postmortems_show",
    path = "/incidents/{id}/postmortem",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 200, description = "The postmortem", body = Postmortem))
)]
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

#[utoipa::path(
    put,
    operation_id = "postmortems_save_section",
    path = "/incidents/{id}/postmortem/sections/{key}",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), ("key" = String, Path, description = "The section's key in the template", example = "summary")),
    request_body = SectionSave,
    responses((status = 200, description = "Saved", body = Section))
)]
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

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct TimelineChoice {
    include: bool,
}

#[utoipa::path(
    put,
    operation_id = "postmortems_toggle_timeline_event",
    path = "/incidents/{id}/postmortem/timeline/{event_id}",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), ("event_id" = i64, Path, description = "A key event of the incident's timeline", example = 1)),
    request_body = TimelineChoice,
    responses((status = 200, description = "Changed", body = Postmortem))
)]
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

#[utoipa::path(
    post,
    operation_id = "postmortems_add_factor",
    path = "/incidents/{id}/postmortem/factors",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = ops::FactorInput,
    responses((status = 201, description = "Added", body = Postmortem))
)]
pub async fn add_factor(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<ops::FactorInput>,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    Ok((StatusCode::CREATED, Json(ops::add_factor(&s.pool, &user, id, &input).await?)))
}

#[utoipa::path(
    delete,
    operation_id = "postmortems_remove_factor",
    path = "/incidents/{id}/postmortem/factors/{factor_id}",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), ("factor_id" = i64, Path, description = "The contributing factor's id", example = 1)),
    responses((status = 200, description = "Removed", body = Postmortem))
)]
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
#[utoipa::path(
    get,
    operation_id = "postmortems_revisions",
    path = "/incidents/{id}/postmortem/sections/{key}/revisions",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), ("key" = String, Path, description = "The section's key in the template", example = "summary"), ops::RevisionsQuery),
    responses((status = 200, description = "A page of versions, newest first", body = Vec<crate::domain::postmortem::Revision>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
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
#[utoipa::path(
    get,
    operation_id = "postmortems_comments",
    path = "/incidents/{id}/postmortem/comments",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), ops::RevisionsQuery),
    responses((status = 200, description = "A page of review comments, oldest first", body = Vec<crate::domain::postmortem::ReviewComment>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn comments(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    uri: axum::http::Uri,
    super::ApiQuery(q): super::ApiQuery<ops::RevisionsQuery>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::comments(&s.pool, &user, id, &q).await?))
}

#[utoipa::path(
    get,
    operation_id = "postmortems_markdown",
    path = "/incidents/{id}/postmortem.md",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 200, description = "The write-up as Markdown with YAML front matter", body = String, content_type = "text/markdown"))
)]
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

#[utoipa::path(
    get,
    operation_id = "postmortems_template",
    path = "/postmortem-template",
    tag = "postmortems",
    responses((status = 200, description = "The sections new postmortems start with", body = Vec<TemplateSection>))
)]
pub async fn template(State(s): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<Vec<TemplateSection>>> {
    Ok(Json(ops::template(&s.pool, &user).await?))
}

#[utoipa::path(
    put,
    operation_id = "postmortems_replace_template",
    path = "/postmortem-template",
    tag = "postmortems",
    request_body = Vec<TemplateSection>,
    responses((status = 200, description = "Replaced", body = Vec<TemplateSection>))
)]
pub async fn replace_template(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(sections): ApiJson<Vec<TemplateSection>>,
) -> AppResult<Json<Vec<TemplateSection>>> {
    Ok(Json(ops::save_template(&s.pool, &user, &sections).await?))
}

#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
pub struct SubmitInput {
    /// Each a user id, or a name or email.
    #[serde(default)]
    reviewers: Vec<crate::server::people::Person>,
}

#[utoipa::path(
    post,
    operation_id = "postmortems_submit",
    path = "/incidents/{id}/postmortem/submit",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body(content = Option<SubmitInput>, description = "Optional: the body may be left out"),
    responses((status = 200, description = "Submitted for review", body = Postmortem))
)]
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

#[utoipa::path(
    post,
    operation_id = "postmortems_approve",
    path = "/incidents/{id}/postmortem/approve",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 200, description = "Approved", body = Postmortem))
)]
pub async fn approve(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Postmortem>> {
    Ok(Json(ops::approve(&s.pool, &user, id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    #[serde(default)]
    comment: String,
    section: Option<String>,
}

#[utoipa::path(
    post,
    operation_id = "postmortems_request_changes",
    path = "/incidents/{id}/postmortem/request-changes",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = CommentInput,
    responses((status = 200, description = "Sent back to its authors", body = Postmortem))
)]
pub async fn request_changes(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(c): ApiJson<CommentInput>,
) -> AppResult<Json<Postmortem>> {
    Ok(Json(ops::request_changes(&s.pool, &user, id, c.section.as_deref(), &c.comment).await?))
}

#[utoipa::path(
    post,
    operation_id = "postmortems_comment",
    path = "/incidents/{id}/postmortem/comments",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = CommentInput,
    responses((status = 201, description = "Commented", body = Postmortem))
)]
pub async fn comment(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(c): ApiJson<CommentInput>,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    Ok((StatusCode::CREATED, Json(ops::comment(&s.pool, &user, id, c.section.as_deref(), &c.comment).await?)))
}

#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
pub struct PublishInput {
    #[serde(default)]
    override_reason: Option<String>,
}

/// The body is optional: `{"override_reason": "…"}` lets an admin publish without an independent approval.
#[utoipa::path(
    post,
    operation_id = "postmortems_publish",
    path = "/incidents/{id}/postmortem/publish",
    tag = "postmortems",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body(content = Option<PublishInput>, description = "Optional: the body may be left out"),
    responses((status = 200, description = "Published", body = Postmortem))
)]
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

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CloseInput {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post,
    operation_id = "incidents_close",
    path = "/incidents/{id}/close",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = CloseInput,
    responses((status = 200, description = "Closed without a postmortem", body = crate::domain::Incident))
)]
pub async fn close(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(c): ApiJson<CloseInput>,
) -> AppResult<Json<crate::domain::Incident>> {
    Ok(Json(crate::server::incidents::close_without_postmortem(&s.pool, &user, id, &c.reason).await?))
}

/// A page of the library (`limit`, `cursor`); the total and the next page are in the headers.
#[utoipa::path(
    get,
    operation_id = "postmortems_library",
    path = "/library",
    tag = "postmortems",
    params(ops::LibraryQuery),
    responses((status = 200, description = "A page of published write-ups, newest first", body = Vec<crate::domain::postmortem::LibraryEntry>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn library(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: axum::http::Uri,
    super::ApiQuery(q): super::ApiQuery<ops::LibraryQuery>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::library(&s.pool, &user, &q).await?))
}

#[utoipa::path(
    get,
    operation_id = "postmortems_settings",
    path = "/settings",
    tag = "settings",
    responses((status = 200, description = "The organisation's settings", body = crate::server::webhook::Settings))
)]
pub async fn settings(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
) -> AppResult<Json<crate::server::webhook::Settings>> {
    Ok(Json(crate::server::webhook::settings_for(&s.pool, &user).await?))
}

#[utoipa::path(
    put,
    operation_id = "postmortems_save_settings",
    path = "/settings",
    tag = "settings",
    request_body = crate::server::webhook::SettingsInput,
    responses((status = 200, description = "Saved", body = crate::server::webhook::Settings))
)]
pub async fn save_settings(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(new): ApiJson<crate::server::webhook::SettingsInput>,
) -> AppResult<Json<crate::server::webhook::Settings>> {
    Ok(Json(crate::server::webhook::save_settings(&s.pool, &user, &new).await?))
}
