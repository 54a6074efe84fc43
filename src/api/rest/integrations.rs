//! Alert intake and the integrations behind it. Thin: every decision is in `server::integrations`,
//! `server::alerts` and `server::triage`.

use super::{bearer, id_in_path, ApiJson, ApiUser, IncidentId};
use crate::domain::alerts::{self, AlertRules, Intake, Integration, IntegrationKind, NewIntegration, RulesInput};
use crate::domain::Incident;
use crate::error::{AppError, AppResult};
use crate::server::integrations::{self as ops, IntegrationRequest};
use crate::server::{alerts as intake, triage, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

#[utoipa::path(
    get,
    operation_id = "integrations_list",
    path = "/integrations",
    tag = "integrations",
    responses((status = 200, description = "Every integration, revoked ones too", body = Vec<Integration>))
)]
pub async fn list(State(s): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<Vec<Integration>>> {
    Ok(Json(ops::list(&s.pool, &user).await?))
}

#[utoipa::path(
    post,
    operation_id = "integrations_create",
    path = "/integrations",
    tag = "integrations",
    request_body = IntegrationRequest,
    responses((status = 201, description = "Created; its token is in this answer only", body = NewIntegration))
)]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<IntegrationRequest>,
) -> AppResult<(StatusCode, Json<NewIntegration>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s.pool, &user, &req).await?)))
}

#[utoipa::path(
    delete,
    operation_id = "integrations_revoke",
    path = "/integrations/{id}",
    tag = "integrations",
    params(("id" = i64, Path, description = "The integration's id", example = 1)),
    responses((status = 200, description = "Revoked", body = Integration))
)]
pub async fn revoke(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> AppResult<Json<Integration>> {
    Ok(Json(ops::revoke(&s.pool, &user, id_in_path(&id, "integration")?).await?))
}

#[utoipa::path(
    get,
    operation_id = "integrations_rules",
    path = "/integrations/rules",
    tag = "integrations",
    responses((status = 200, description = "How labels become a severity and services", body = AlertRules))
)]
pub async fn rules(State(s): State<AppState>, ApiUser(user): ApiUser) -> AppResult<Json<AlertRules>> {
    crate::server::access::require_admin(&user)?;
    Ok(Json(ops::rules(&s.pool).await?))
}

#[utoipa::path(
    put,
    operation_id = "integrations_set_rules",
    path = "/integrations/rules",
    tag = "integrations",
    request_body = RulesInput,
    responses((status = 200, description = "Saved", body = AlertRules))
)]
pub async fn set_rules(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<RulesInput>,
) -> AppResult<Json<AlertRules>> {
    Ok(Json(ops::set_rules(&s.pool, &user, &input).await?))
}

/// A payload refused for its shape is logged with the reason, so whoever set up the sender can see why.
fn refused(kind: IntegrationKind, id: i64, e: AppError) -> AppError {
    tracing::warn!(integration = id, %kind, reason = %e, "alert payload refused");
    e
}

/// Alertmanager's webhook receiver (`webhook_configs` with `http_config.authorization`).
#[utoipa::path(
    post,
    operation_id = "integrations_alertmanager",
    path = "/integrations/alertmanager",
    tag = "integrations",
    request_body(content = serde_json::Value, description = "Alertmanager's webhook payload (version 4): `groupKey`, `status` and `alerts`, each with `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL` and `fingerprint`"),
    responses((status = 200, description = "Recorded: the incident opened or joined", body = Intake)),
    security(("integration_token" = []))
)]
pub async fn alertmanager(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Json<Intake>> {
    let (integration, account) = ops::authenticate(&s.pool, bearer(&headers)?, IntegrationKind::Alertmanager).await?;
    let batch = alerts::parse_alertmanager(&body)
        .map_err(|m| refused(integration.kind, integration.id, AppError::invalid("body", m)))?;
    Ok(Json(intake::receive(&s.pool, &integration, &account, batch).await?))
}

/// The generic webhook: `{title, severity?, services?, dedup_key, status, description?, source_url?}`.
#[utoipa::path(
    post,
    operation_id = "integrations_generic",
    path = "/integrations/generic",
    tag = "integrations",
    request_body = alerts::GenericAlert,
    responses((status = 200, description = "Recorded: the incident opened or joined", body = Intake)),
    security(("integration_token" = []))
)]
pub async fn generic(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<alerts::GenericAlert>,
) -> AppResult<Json<Intake>> {
    let (integration, account) = ops::authenticate(&s.pool, bearer(&headers)?, IntegrationKind::Generic).await?;
    let (batch, _) = alerts::parse_generic(&body)
        .map_err(|errs| refused(integration.kind, integration.id, AppError::fields(errs)))?;
    Ok(Json(intake::receive(&s.pool, &integration, &account, batch).await?))
}

#[utoipa::path(
    post,
    operation_id = "incidents_accept",
    path = "/incidents/{id}/accept",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    responses((status = 200, description = "Accepted from triage: now investigating", body = Incident))
)]
pub async fn accept(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<Json<Incident>> {
    Ok(Json(triage::accept(&s.pool, &user, id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct DeclineInput {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post,
    operation_id = "incidents_decline",
    path = "/incidents/{id}/decline",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident: `INC-12` or `12`", example = "INC-1")),
    request_body = DeclineInput,
    responses((status = 200, description = "Declined and closed", body = Incident))
)]
pub async fn decline(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    ApiJson(input): ApiJson<DeclineInput>,
) -> AppResult<Json<Incident>> {
    Ok(Json(triage::decline(&s.pool, &user, id, &input.reason).await?))
}
