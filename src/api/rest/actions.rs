use super::{ActionId, ApiJson, ApiQuery, ApiUser, IncidentId};
use crate::domain::actions::ActionItem;
use crate::error::AppResult;
use crate::server::actions::{self as ops, ActionPatch, ListParams, NewActionInput};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<NewActionInput>,
) -> AppResult<(StatusCode, Json<ActionItem>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s.pool, &user, id, input).await?)))
}

/// A page of items (`limit`, `cursor`); the total and the next page are in the headers.
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<ListParams>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::list(&s.pool, &user, &q).await?))
}

pub async fn show(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
) -> AppResult<Json<ActionItem>> {
    Ok(Json(ops::get(&s.pool, &user, id).await?))
}

pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
    ApiJson(patch): ApiJson<ActionPatch>,
) -> AppResult<Json<ActionItem>> {
    Ok(Json(ops::update(&s.pool, &user, id, patch).await?))
}

#[derive(Deserialize)]
pub struct CheckInput {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: Option<String>,
}

pub async fn check(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
    ApiJson(c): ApiJson<CheckInput>,
) -> AppResult<Json<ActionItem>> {
    Ok(Json(ops::check(&s.pool, &user, id, &c.outcome, c.note.as_deref()).await?))
}

/// 201 with the new follow-up; 200 with the existing one when it was already made.
pub async fn follow_up(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
) -> AppResult<(StatusCode, Json<ActionItem>)> {
    let (item, created) = ops::follow_up(&s.pool, &user, id).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(item)))
}
