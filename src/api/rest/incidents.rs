use super::{ApiJson, ApiQuery, ApiUser, IncidentId, PageQuery};
use crate::domain::{Incident, TimelineEvent};
use crate::error::AppResult;
use crate::server::incidents::{self as ops, DeclareInput, IncidentPatch, NoteInput};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// A page of incidents (`limit`, `cursor`); the total and the next page are in the headers.
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<ops::ListParams>,
) -> AppResult<axum::response::Response> {
    let filter = ops::parse_filter(&q)?;
    Ok(super::paged(&uri, ops::list(&s.pool, &user, &filter).await?))
}

pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<DeclareInput>,
) -> AppResult<(StatusCode, Json<Incident>)> {
    Ok((StatusCode::CREATED, Json(ops::declare(&s.pool, &user, input).await?)))
}

pub async fn show(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Incident>> {
    Ok(Json(ops::get(&s.pool, &user, id).await?))
}

pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(patch): ApiJson<IncidentPatch>,
) -> AppResult<Json<Incident>> {
    Ok(Json(ops::update(&s.pool, &user, id, patch).await?))
}

/// A page of the timeline, oldest first; the total and the next page are in the headers.
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

#[derive(Deserialize)]
pub struct EventInput {
    body: String,
    occurred_at: Option<String>,
    /// Marks a key event: trigger, detection, mitigation or resolution.
    key: Option<String>,
}

pub async fn add_event(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(e): ApiJson<EventInput>,
) -> AppResult<(StatusCode, Json<TimelineEvent>)> {
    let input = NoteInput { body: e.body, occurred_at: e.occurred_at, key: e.key };
    Ok((StatusCode::CREATED, Json(ops::add_note(&s.pool, &user, id, input).await?)))
}

#[derive(Deserialize)]
pub struct ParticipantInput {
    user_id: Option<serde_json::Value>,
}

/// `{user_id}` must be a user's numeric id.
fn participant_id(v: Option<&serde_json::Value>) -> AppResult<i64> {
    v.and_then(serde_json::Value::as_i64)
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::invalid("user_id", "Give the user's numeric id"))
}

pub async fn add_participant(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(p): ApiJson<ParticipantInput>,
) -> AppResult<(StatusCode, Json<Incident>)> {
    let user_id = participant_id(p.user_id.as_ref())?;
    Ok((StatusCode::CREATED, Json(ops::add_participant(&s.pool, &user, id, &ops::Person::Id(user_id)).await?)))
}

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

pub async fn post_update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<crate::server::updates::UpdateInput>,
) -> AppResult<(StatusCode, Json<crate::domain::StakeholderUpdate>)> {
    Ok((StatusCode::CREATED, Json(crate::server::updates::post(&s.pool, &user, id, &input).await?)))
}

/// The incident's stakeholder updates, newest first, paged.
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
