//! Alert integrations (admins create and revoke them; each has its own bearer token) and the rules
//! that turn alert labels into a severity and services.

use super::access::require_admin;
use super::accounts::{new_secret, token_hash};
use super::audit::{self, Object};
use super::db;
use crate::domain::accounts::AuditAction;
use crate::domain::alerts::{AlertRules, Integration, IntegrationKind, NewIntegration, RulesInput};
use crate::domain::validate::{self, check, FieldErrors};
use crate::domain::User;
use crate::error::{internal, AppError, AppResult};
use sqlx::PgPool;

const RULES_KEY: &str = "alert_rules";

/// What an admin asks for, as typed (form or JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct IntegrationRequest {
    #[schema(required, value_type = crate::domain::alerts::IntegrationKind)]
    #[serde(default)]
    pub kind: String,
    #[schema(required, min_length = 1, max_length = 80)]
    #[serde(default)]
    pub name: String,
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn create(pool: &PgPool, user: &User, req: &IntegrationRequest) -> AppResult<NewIntegration> {
    require_admin(user)?;
    let mut errs = FieldErrors::new();
    let kind = check(&mut errs, "kind", req.kind.parse::<IntegrationKind>());
    let name = check(&mut errs, "name", validate::setup_name(&req.name, "integration", "Production Alertmanager"));
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(AppError::fields(errs));
    };
    let name = name.as_str();
    let token = new_secret();
    let mut tx = pool.begin().await?;
    let account = db::integrations::insert_account(&mut *tx, name).await?;
    let id = db::integrations::insert(&mut *tx, kind, name, &token_hash(&token), account, user.id).await?;
    let change = serde_json::json!({ "kind": kind });
    audit::record(&mut *tx, user, AuditAction::IntegrationCreated, Object::integration(id, name), Some(change)).await?;
    tx.commit().await?;
    Ok(NewIntegration { id, kind, name: name.to_string(), token })
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn list(pool: &PgPool, user: &User) -> AppResult<Vec<Integration>> {
    require_admin(user)?;
    db::integrations::list(pool).await
}

/// Revokes an integration: its token stops working at once; the incidents it opened keep their source.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn revoke(pool: &PgPool, user: &User, id: i64) -> AppResult<Integration> {
    require_admin(user)?;
    let missing = || AppError::NotFound(format!("No integration {id}"));
    let mut tx = pool.begin().await?;
    let found = db::integrations::by_id(&mut *tx, id).await?.ok_or_else(missing)?;
    if db::integrations::revoke(&mut *tx, id).await? {
        audit::record(&mut *tx, user, AuditAction::IntegrationRevoked, Object::integration(id, &found.name), None)
            .await?;
    }
    let after = db::integrations::by_id(&mut *tx, id).await?.ok_or_else(missing)?;
    tx.commit().await?;
    Ok(after)
}

/// The integration a bearer token belongs to, with the account it acts as, if it is of `kind`.
#[tracing::instrument(skip_all)]
pub async fn authenticate(pool: &PgPool, token: &str, kind: IntegrationKind) -> AppResult<(Integration, User)> {
    let refused = |m: &str| AppError::TokenRefused(m.into());
    let (integration, account) =
        db::integrations::by_hash(pool, &token_hash(token.trim())).await?.ok_or_else(|| {
            refused("That integration token is not valid: create one under Settings \u{2192} Integrations")
        })?;
    if integration.revoked_at.is_some() {
        return Err(refused("That integration token has been revoked"));
    }
    if integration.kind != kind {
        return Err(AppError::Forbidden(format!(
            "That token belongs to a {} integration: send it to /api/v1/integrations/{}",
            integration.kind, integration.kind
        )));
    }
    Ok((integration, account))
}

/// The rules as stored. A stored value that no longer reads is an error naming the setting.
pub async fn rules(db: impl sqlx::PgExecutor<'_>) -> AppResult<AlertRules> {
    let raw =
        db::postmortems::setting(db, RULES_KEY).await?.ok_or_else(|| internal("setting alert_rules is missing"))?;
    serde_json::from_str(&raw).map_err(|e| internal(format!("setting alert_rules: the stored value is not valid: {e}")))
}

/// Replaces the rules (admins), each rule checked; the change is audited.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn set_rules(pool: &PgPool, user: &User, input: &RulesInput) -> AppResult<AlertRules> {
    require_admin(user)?;
    let new = AlertRules::from_input(input).map_err(AppError::fields)?;
    let mut tx = pool.begin().await?;
    let old = rules(&mut *tx).await?;
    if old != new {
        let json = serde_json::to_string(&new).map_err(internal)?;
        db::postmortems::set_setting(&mut *tx, RULES_KEY, &json).await?;
        let change = Some(audit::change(RULES_KEY, &old, &new));
        audit::record(&mut *tx, user, AuditAction::SettingsChanged, Object::setting(RULES_KEY), change).await?;
    }
    tx.commit().await?;
    Ok(new)
}
