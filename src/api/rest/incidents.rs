use super::{ApiJson, ApiQuery, ApiUser, IncidentId, PageQuery};
use crate::domain::milestones::Milestones;
use crate::domain::{Incident, TimelineEvent};
use crate::error::AppResult;
use crate::server::incidents::{self as ops, DeclareInput, IncidentPatch, NoteInput};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// A page of incidents (`limit`, `cursor`); the total and the next page are in the headers.
#[utoipa::path(
    get,
    operation_id = "incidents_list",
    path = "/incidents",
    tag = "incidents",
    params(ops::ListParams, PageQuery),
    responses((status = 200, description = "A page of incidents, newest first", body = Vec<Incident>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<ops::ListParams>,
) -> AppResult<axum::response::Response> {
    let filter = ops::parse_filter(&q)?;
    Ok(super::paged(&uri, ops::list(&s.pool, &user, &filter).await?))
}

#[utoipa::path(
    post,
    operation_id = "incidents_create",
    path = "/incidents",
    tag = "incidents",
    request_body = DeclareInput,
    responses((status = 201, description = "Declared", body = Incident))
)]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<DeclareInput>,
) -> AppResult<(StatusCode, Json<Incident>)> {
    Ok((StatusCode::CREATED, Json(ops::declare(&s.pool, &user, input).await?)))
}

#[utoipa::path(
    get,
    operation_id = "incidents_show",
    path = "/incidents/{id}",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 200, description = "The incident", body = Incident))
)]
pub async fn show(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Incident>> {
    Ok(Json(ops::get_with_milestones(&s.pool, &user, id).await?))
}

#[utoipa::path(
    patch,
    operation_id = "incidents_update",
    path = "/incidents/{id}",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = IncidentPatch,
    responses((status = 200, description = "Changed", body = Incident))
)]
pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(patch): ApiJson<IncidentPatch>,
) -> AppResult<Json<Incident>> {
    Ok(Json(ops::update(&s.pool, &user, id, patch).await?))
}

/// A page of the timeline, oldest first; the total and the next page are in the headers.
#[utoipa::path(
    get,
    operation_id = "incidents_timeline",
    path = "/incidents/{id}/timeline",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), PageQuery),
    responses((status = 200, description = "A page of the timeline, oldest first", body = Vec<TimelineEvent>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn timeline(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<axum::response::Response> {
    let page = ops::timeline(&s.pool, &user, id, q.cursor.as_deref(), q.limit.as_deref()).await?;
    Ok(super::paged(&uri, page))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EventInput {
    body: String,
    occurred_at: Option<String>,
    /// Marks a key event: trigger, detection, mitigation or resolution.
    key: Option<String>,
}

#[utoipa::path(
    post,
    operation_id = "incidents_add_event",
    path = "/incidents/{id}/timeline",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = EventInput,
    responses((status = 201, description = "Added", body = TimelineEvent))
)]
pub async fn add_event(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(e): ApiJson<EventInput>,
) -> AppResult<(StatusCode, Json<TimelineEvent>)> {
    let input = NoteInput { body: e.body, occurred_at: e.occurred_at, key: e.key };
    Ok((StatusCode::CREATED, Json(ops::add_note(&s.pool, &user, id, input).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ParticipantInput {
    user_id: Option<serde_json::Value>,
}

/// `{user_id}` must be a user's numeric id.
fn participant_id(v: Option<&serde_json::Value>) -> AppResult<i64> {
    v.and_then(serde_json::Value::as_i64)
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::invalid("user_id", "Give the user's numeric id"))
}

#[utoipa::path(
    post,
    operation_id = "incidents_add_participant",
    path = "/incidents/{id}/participants",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = ParticipantInput,
    responses((status = 201, description = "Added", body = Incident))
)]
pub async fn add_participant(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(p): ApiJson<ParticipantInput>,
) -> AppResult<(StatusCode, Json<Incident>)> {
    let user_id = participant_id(p.user_id.as_ref())?;
    Ok((StatusCode::CREATED, Json(ops::add_participant(&s.pool, &user, id, &ops::Person::Id(user_id)).await?)))
}

#[utoipa::path(
    delete,
    operation_id = "incidents_remove_participant",
    path = "/incidents/{id}/participants/{user_id}",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), ("user_id" = i64, Path, description = "The participant's user id", example = 1)),
    responses((status = 200, description = "Removed", body = Incident))
)]
pub async fn remove_participant(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    axum::extract::Path(path): axum::extract::Path<Vec<(String, String)>>,
) -> AppResult<Json<Incident>> {
    let raw = path.iter().find(|(k, _)| k == "user_id").map(|(_, v)| v.as_str()).unwrap_or_default();
    let user_id = raw
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::invalid("user_id", format!("{raw:?} is not a user id")))?;
    Ok(Json(ops::remove_participant(&s.pool, &user, id, user_id).await?))
}

#[utoipa::path(
    post,
    operation_id = "incidents_post_update",
    path = "/incidents/{id}/updates",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = crate::server::updates::UpdateInput,
    responses((status = 201, description = "Posted", body = crate::domain::StakeholderUpdate))
)]
pub async fn post_update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<crate::server::updates::UpdateInput>,
) -> AppResult<(StatusCode, Json<crate::domain::StakeholderUpdate>)> {
    Ok((StatusCode::CREATED, Json(crate::server::updates::post(&s.pool, &user, id, &input).await?)))
}

/// The incident's stakeholder updates, newest first, paged.
#[utoipa::path(
    get,
    operation_id = "incidents_list_updates",
    path = "/incidents/{id}/updates",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"), PageQuery),
    responses((status = 200, description = "A page of updates, newest first", body = Vec<crate::domain::StakeholderUpdate>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn list_updates(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<axum::response::Response> {
    let (cursor, limit) = (q.cursor.clone(), q.limit.clone());
    Ok(super::paged(&uri, crate::server::updates::list(&s.pool, &user, id, &cursor, &limit).await?))
}

#[utoipa::path(
    get,
    operation_id = "incidents_milestones",
    path = "/incidents/{id}/milestones",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 200, description = "Its moments, each with where its time came from", body = Milestones))
)]
pub async fn milestones(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Milestones>> {
    Ok(Json(crate::server::milestones::of(&s.pool, &user, id).await?))
}

/// A correction of one moment, with a reason; refused when it would break their order.
#[utoipa::path(
    put,
    operation_id = "incidents_correct_milestone",
    path = "/incidents/{id}/milestones/{moment}",
    tag = "incidents",
    params(
        ("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1"),
        ("moment" = crate::domain::milestones::Moment, Path, description = "Which moment")
    ),
    request_body = crate::server::milestones::CorrectionInput,
    responses((status = 200, description = "Corrected: every moment as it now stands", body = Milestones))
)]
pub async fn correct_milestone(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    axum::extract::Path(path): axum::extract::Path<Vec<(String, String)>>,
    ApiJson(input): ApiJson<crate::server::milestones::CorrectionInput>,
) -> AppResult<Json<Milestones>> {
    let moment = path.iter().find(|(k, _)| k == "moment").map(|(_, v)| v.as_str()).unwrap_or_default();
    Ok(Json(crate::server::milestones::correct(&s.pool, &user, id, moment, &input).await?))
}
