use super::{ApiJson, ApiQuery, ApiUser, IncidentId};
use crate::domain::{Incident, TimelineEvent};
use crate::error::AppResult;
use crate::server::incidents::{self as ops, DeclareInput, IncidentPatch, NoteInput};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    severity: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    _: ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<Incident>>> {
    let filter = ops::parse_filter(q.status.as_deref(), q.severity.as_deref())?;
    Ok(Json(ops::list(&s.pool, &filter).await?))
}

pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<DeclareInput>,
) -> AppResult<(StatusCode, Json<Incident>)> {
    Ok((StatusCode::CREATED, Json(ops::declare(&s.pool, &user, input).await?)))
}

pub async fn show(State(s): State<AppState>, _: ApiUser, IncidentId(id): IncidentId) -> AppResult<Json<Incident>> {
    Ok(Json(ops::get(&s.pool, id).await?))
}

pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(patch): ApiJson<IncidentPatch>,
) -> AppResult<Json<Incident>> {
    Ok(Json(ops::update(&s.pool, &user, id, patch).await?))
}

pub async fn timeline(
    State(s): State<AppState>,
    _: ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Vec<TimelineEvent>>> {
    Ok(Json(ops::timeline(&s.pool, id).await?))
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
