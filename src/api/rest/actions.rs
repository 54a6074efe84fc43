use super::{ActionId, ApiJson, ApiQuery, ApiUser, IncidentId};
use crate::domain::actions::ActionItem;
use crate::error::AppResult;
use crate::server::actions::{self as ops, ActionPatch, ListParams, NewActionInput};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

#[utoipa::path(
    post,
    operation_id = "actions_create",
    path = "/incidents/{id}/actions",
    tag = "actions",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = NewActionInput,
    responses((status = 201, description = "Created", body = ActionItem))
)]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<NewActionInput>,
) -> AppResult<(StatusCode, Json<ActionItem>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s.pool, &user, id, input).await?)))
}

/// A page of items (`limit`, `cursor`); the total and the next page are in the headers.
#[utoipa::path(
    get,
    operation_id = "actions_list",
    path = "/actions",
    tag = "actions",
    params(ListParams),
    responses((status = 200, description = "A page of action items", body = Vec<ActionItem>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<ListParams>,
) -> AppResult<axum::response::Response> {
    Ok(super::paged(&uri, ops::list(&s.pool, &user, &q).await?))
}

#[utoipa::path(
    get,
    operation_id = "actions_show",
    path = "/actions/{id}",
    tag = "actions",
    params(("id" = i64, Path, description = "The action item's id", example = 1)),
    responses((status = 200, description = "The action item", body = ActionItem))
)]
pub async fn show(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
) -> AppResult<Json<ActionItem>> {
    Ok(Json(ops::get(&s.pool, &user, id).await?))
}

#[utoipa::path(
    patch,
    operation_id = "actions_update",
    path = "/actions/{id}",
    tag = "actions",
    params(("id" = i64, Path, description = "The action item's id", example = 1)),
    request_body = ActionPatch,
    responses((status = 200, description = "Changed", body = ActionItem))
)]
pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
    ApiJson(patch): ApiJson<ActionPatch>,
) -> AppResult<Json<ActionItem>> {
    Ok(Json(ops::update(&s.pool, &user, id, patch).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckInput {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: Option<String>,
}

#[utoipa::path(
    post,
    operation_id = "actions_check",
    path = "/actions/{id}/check",
    tag = "actions",
    params(("id" = i64, Path, description = "The action item's id", example = 1)),
    request_body = CheckInput,
    responses((status = 200, description = "The answer to \"did it work?\" is recorded", body = ActionItem))
)]
pub async fn check(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
    ApiJson(c): ApiJson<CheckInput>,
) -> AppResult<Json<ActionItem>> {
    Ok(Json(ops::check(&s.pool, &user, id, &c.outcome, c.note.as_deref()).await?))
}

/// 201 with the new follow-up; 200 with the existing one when it was already made.
#[utoipa::path(
    post,
    operation_id = "actions_follow_up",
    path = "/actions/{id}/follow-up",
    tag = "actions",
    params(("id" = i64, Path, description = "The action item's id", example = 1)),
    responses((status = 201, description = "The new follow-up", body = ActionItem), (status = 200, description = "The follow-up made before", body = ActionItem))
)]
pub async fn follow_up(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ActionId(id): ActionId,
) -> AppResult<(StatusCode, Json<ActionItem>)> {
    let (item, created) = ops::follow_up(&s.pool, &user, id).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(item)))
}
