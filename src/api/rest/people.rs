//! Tokens, users and the audit log over the API. Thin: every decision is in `server::accounts`
//! and `server::audit`.

use super::{id_in_path, ApiJson, ApiQuery, ApiUser, PageQuery};
use crate::domain::accounts::{NewToken, Token};
use crate::domain::User;
use crate::error::{AppError, AppResult};
use crate::server::accounts::{self as ops, TokenListParams, TokenRequest, UserChange};
use crate::server::{audit, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[utoipa::path(
    post,
    operation_id = "people_create_token",
    path = "/tokens",
    tag = "account",
    request_body = TokenRequest,
    responses((status = 201, description = "Created; its secret is in this answer only", body = NewToken))
)]
pub async fn create_token(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<TokenRequest>,
) -> AppResult<(StatusCode, Json<NewToken>)> {
    Ok((StatusCode::CREATED, Json(ops::create_token(&s.pool, &user, &req).await?)))
}

/// Yours, or everyone's with `?all=true` (admins); paged like every list.
#[utoipa::path(
    get,
    operation_id = "people_list_tokens",
    path = "/tokens",
    tag = "account",
    params(TokenListParams),
    responses((status = 200, description = "A page of tokens, newest first", body = Vec<Token>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn list_tokens(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: Uri,
    ApiQuery(q): ApiQuery<TokenListParams>,
) -> AppResult<Response> {
    Ok(super::paged(&uri, ops::list_tokens(&s.pool, &user, &q).await?))
}

#[utoipa::path(
    delete,
    operation_id = "people_revoke_token",
    path = "/tokens/{id}",
    tag = "account",
    params(("id" = i64, Path, description = "The token's id", example = 1)),
    responses((status = 200, description = "Revoked", body = Token))
)]
pub async fn revoke_token(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> AppResult<Json<Token>> {
    Ok(Json(ops::revoke_token(&s.pool, &user, id_in_path(&id, "API token")?).await?))
}

#[utoipa::path(
    get,
    operation_id = "people_list_users",
    path = "/users",
    tag = "people",
    params(PageQuery),
    responses((status = 200, description = "A page of users", body = Vec<User>, headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn list_users(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: Uri,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Response> {
    Ok(super::paged(&uri, ops::users_page(&s.pool, &user, &q.cursor, &q.limit).await?))
}

#[utoipa::path(
    patch,
    operation_id = "people_change_user",
    path = "/users/{id}",
    tag = "people",
    params(("id" = i64, Path, description = "The user's id", example = 1)),
    request_body = UserChange,
    responses((status = 200, description = "Changed", body = User))
)]
pub async fn change_user(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<UserChange>,
) -> AppResult<Json<User>> {
    Ok(Json(ops::change_user(&s.pool, &user, id_in_path(&id, "user")?, &change).await?))
}

#[derive(serde::Deserialize)]
pub struct AuditQuery {
    #[serde(flatten)]
    params: audit::Params,
    format: Option<String>,
}

/// The audit log, newest first and paged; `format=csv` for every matching entry as CSV.
#[utoipa::path(
    get,
    operation_id = "people_audit_log",
    path = "/audit",
    tag = "people",
    params(audit::Params, ("format" = Option<String>, Query, description = "`json` (the default, paged) or `csv` (every matching entry)")),
    responses((status = 200, description = "A page of the audit log, newest first, or all of it as CSV", content((Vec<crate::domain::accounts::AuditEntry> = "application/json"), (String = "text/csv")), headers(("x-total-count" = i64, description = "How many match, on every page"), ("link" = String, description = "The next page, when there is one: `<…&cursor=…>; rel=\"next\"`"))))
)]
pub async fn audit_log(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    uri: Uri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Response> {
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(super::paged(&uri, audit::list(&s.pool, &user, &q.params).await?)),
        "csv" => Ok(csv_response(audit::csv(&s.pool, &user, &q.params).await?)),
        other => Err(AppError::invalid("format", format!("Unknown format {other:?}: use json or csv"))),
    }
}

pub(super) fn csv_response(csv: String) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"debrief-audit-log.csv\""),
    ];
    (headers, csv).into_response()
}
