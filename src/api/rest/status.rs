//! The status page's data and the service catalogue. Thin: every decision is in `server::status`.

use super::{id_in_path, ApiJson, ApiUser, MaybeApiUser};
use crate::domain::status::{Service, ServiceInput, StatusPage};
use crate::error::AppResult;
use crate::server::{status as ops, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

/// Signed in by token, or signed out when an admin made the status page public.
#[utoipa::path(
    get,
    operation_id = "status_page",
    path = "/status",
    tag = "status",
    responses((status = 200, description = "Services, open incidents' latest updates and what was resolved lately", body = StatusPage)),
    security((), ("token" = []))
)]
pub async fn page(State(s): State<AppState>, MaybeApiUser(user): MaybeApiUser) -> AppResult<Json<StatusPage>> {
    Ok(Json(ops::page(&s.pool, user.as_ref()).await?))
}

#[utoipa::path(
    get,
    operation_id = "status_services",
    path = "/services",
    tag = "status",
    responses((status = 200, description = "The service catalogue", body = Vec<Service>))
)]
pub async fn services(State(s): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<Vec<Service>>> {
    Ok(Json(ops::services(&s.pool, &user).await?))
}

#[utoipa::path(
    post,
    operation_id = "status_add_service",
    path = "/services",
    tag = "status",
    request_body = ServiceInput,
    responses((status = 201, description = "Added", body = Service))
)]
pub async fn add_service(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ServiceInput>,
) -> AppResult<(StatusCode, Json<Service>)> {
    Ok((StatusCode::CREATED, Json(ops::add_service(&s.pool, &user, &input).await?)))
}

#[utoipa::path(
    delete,
    operation_id = "status_remove_service",
    path = "/services/{id}",
    tag = "status",
    params(("id" = i64, Path, description = "The service's id", example = 1)),
    responses((status = 200, description = "Removed", body = Service))
)]
pub async fn remove_service(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> AppResult<Json<Service>> {
    Ok(Json(ops::remove_service(&s.pool, &user, id_in_path(&id, "service")?).await?))
}
