//! Server functions of the Integrations settings page and of triage on the incident page. Thin.

use crate::domain::alerts::Integration;
use crate::domain::Stamp;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::accounts, crate::server::integrations as ops};

/// An integration with its instants as the reader reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationRow {
    pub integration: Integration,
    pub created: Stamp,
    pub last_used: Option<Stamp>,
}

/// The page's data in one call, so the token made just now is read (and shown) exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationsData {
    pub integrations: Vec<IntegrationRow>,
    /// The severity rules as the form shows them (`label=value SEVn` per line).
    pub rules: String,
    pub default_severity: String,
    pub service_labels: String,
    pub new_secret: Option<(String, String)>,
}

#[server]
pub async fn integrations_view() -> Result<IntegrationsData, AppError> {
    use crate::domain::time::{stamp, zone};
    let (state, user) = ctx::user().await?;
    let tz = zone(&user);
    let integrations = ops::list(&state.pool, &user)
        .await?
        .into_iter()
        .map(|i| IntegrationRow {
            created: stamp(i.created_at, tz),
            last_used: i.last_used_at.map(|t| stamp(t, tz)),
            integration: i,
        })
        .collect();
    let rules = ops::rules(&state.pool).await?;
    let new_secret = accounts::take_secret(&ctx::session().await?, "integration").await?.map(|s| (s.what, s.value));
    Ok(IntegrationsData {
        integrations,
        rules: rules.rules_text(),
        default_severity: rules.default_severity.to_string(),
        service_labels: rules.service_labels.join(", "),
        new_secret,
    })
}

#[server]
pub async fn create_integration(kind: String, name: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let req = ops::IntegrationRequest { kind: kind.clone(), name: name.clone() };
    let made = ops::create(&state.pool, &user, &req)
        .await
        .map_err(|e| e.with_values([("kind", kind.as_str()), ("name", name.as_str())]))?;
    let what = format!("Token of \u{201c}{}\u{201d} ({})", made.name, made.kind);
    let secret = accounts::Secret { kind: "integration".into(), what, value: made.token };
    accounts::keep_secret(&ctx::session().await?, secret).await
}

#[server]
pub async fn revoke_integration(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::revoke(&state.pool, &user, id).await.map(|_| ())
}

/// The rules form: one severity rule per line, the default severity, and the service labels
/// separated by commas.
#[server]
pub async fn save_alert_rules(rules: String, default_severity: String, service_labels: String) -> Result<(), AppError> {
    use crate::domain::alerts::{form_errors, parse_rule_lines, RulesInput};
    let (state, user) = ctx::user().await?;
    let input = RulesInput {
        severity_rules: parse_rule_lines(&rules),
        default_severity: default_severity.clone(),
        service_labels: service_labels.split(',').map(str::to_string).collect(),
    };
    let typed =
        [("rules", rules.as_str()), ("default_severity", &default_severity), ("service_labels", &service_labels)];
    match ops::set_rules(&state.pool, &user, &input).await {
        Ok(_) => Ok(()),
        Err(AppError::Invalid { fields, .. }) => Err(AppError::fields(form_errors(&rules, fields)).with_values(typed)),
        Err(e) => Err(e),
    }
}

#[server]
pub async fn accept_incident(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    crate::server::triage::accept(&state.pool, &user, id).await.map(|_| ())
}

#[server]
pub async fn decline_incident(id: i64, reason: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    crate::server::triage::decline(&state.pool, &user, id, &reason)
        .await
        .map(|_| ())
        .map_err(|e| e.with_values([("reason", reason.as_str())]))
}
