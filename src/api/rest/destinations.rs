//! Where notifications go, and what happened to each. Thin: every decision is in `server::outbox`.

use super::{id_in_path, ApiJson, ApiQuery, ApiUser, PageQuery};
use crate::domain::notify::{Delivery, Destination, DestinationInput, DestinationPatch, NewDestination};
use crate::error::AppResult;
use crate::server::{outbox as ops, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

#[utoipa::path(
    get,
    operation_id = "destinations_list",
    path = "/destinations",
    tag = "destinations",
    responses((status = 200, description = "Every destination", body = Vec<Destination>))
)]
pub async fn list(State(s): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<Vec<Destination>>> {
    Ok(Json(ops::list(&s.pool, &user).await?))
}

/// 201 with the destination; a signed JSON destination's `secret` is in this answer only.
#[utoipa::path(
    post,
    operation_id = "destinations_create",
    path = "/destinations",
    tag = "destinations",
    request_body = DestinationInput,
    responses((status = 201, description = "Created; a signed JSON destination's secret is in this answer only", body = NewDestination))
)]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<DestinationInput>,
) -> AppResult<(StatusCode, Json<NewDestination>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s.pool, &s.outbound, &user, &input).await?)))
}

/// Its name, events or minimum severity; the kind and the address stay.
#[utoipa::path(
    patch,
    operation_id = "destinations_update",
    path = "/destinations/{id}",
    tag = "destinations",
    params(("id" = i64, Path, description = "The destination's id", example = 1)),
    request_body = DestinationPatch,
    responses((status = 200, description = "Changed", body = Destination))
)]
pub async fn update(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<DestinationPatch>,
) -> AppResult<Json<Destination>> {
    Ok(Json(ops::update(&s.pool, &user, id_in_path(&id, "destination")?, &patch).await?))
}

#[utoipa::path(
    delete,
    operation_id = "destinations_remove",
    path = "/destinations/{id}",
    tag = "destinations",
    params(("id" = i64, Path, description = "The destination's id", example = 1)),
    responses((status = 200, description = "Removed; what waited for it is given up", body = Destination))
)]
pub async fn remove(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> AppResult<Json<Destination>> {
    Ok(Json(ops::remove(&s.pool, &user, id_in_path(&id, "destination")?).await?))
}

/// Its notifications, newest first, paged (the total and the next page are in the headers).
#[utoipa::path(
    get,
    operation_id = "destinations_deliveries",
    path = "/destinations/{id}/deliveries",
    tag = "destinations",
    params(("id" = i64, Path, description = "The destination's id", example = 1), PageQuery),
    responses((status = 200, description = "A page of its notifications, newest first", body = Vec<Delivery>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn deliveries(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<axum::response::Response> {
    let id = id_in_path(&id, "destination")?;
    Ok(super::paged(&uri, ops::deliveries(&s.pool, &user, id, &q.cursor, &q.limit).await?))
}

/// 202: the test message is queued and goes out like any other notification.
#[utoipa::path(
    post,
    operation_id = "destinations_send_test",
    path = "/destinations/{id}/test",
    tag = "destinations",
    params(("id" = i64, Path, description = "The destination's id", example = 1)),
    responses((status = 202, description = "Queued", body = Delivery))
)]
pub async fn send_test(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(ops::send_test(&s.pool, &user, id_in_path(&id, "destination")?).await?)))
}
