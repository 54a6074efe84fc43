use crate::domain::paging::Page;
use crate::domain::{IncidentPage, IncidentRow};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::ctx,
    crate::server::incidents::{self as ops, DeclareInput, IncidentPatch, NoteInput},
};

#[server]
pub async fn list_incidents(
    status: Option<String>,
    severity: Option<String>,
    cursor: Option<String>,
) -> Result<Page<IncidentRow>, AppError> {
    let (state, user) = ctx::user().await?;
    let filter = ops::parse_filter(&ops::ListParams { status, severity, cursor, limit: None })?;
    Ok(ops::rows(ops::list(&state.pool, &user, &filter).await?, &user))
}

#[server]
pub async fn get_incident_page(
    reference: String,
    before: Option<String>,
    pick: Option<String>,
    person: Option<String>,
) -> Result<IncidentPage, AppError> {
    let (state, user) = ctx::user().await?;
    let pick = pick.as_deref().zip(person.as_deref());
    ops::page(&state.pool, &user, ctx::incident_id(&reference)?, before.as_deref(), pick).await
}

/// Declares an incident and goes to its page.
#[server]
pub async fn declare_incident(
    title: String,
    severity: Option<String>,
    summary: Option<String>,
    services: Option<String>,
    started_at: Option<String>,
    private: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let severity = severity.unwrap_or_default();
    let input_private = private.is_some();
    let input = DeclareInput {
        title: title.clone(),
        severity: severity.clone(),
        summary: summary.clone(),
        services: services.as_deref().map(|s| vec![s.to_string()]),
        started_at: started_at.clone(),
        private: Some(private.is_some()),
    };
    let incident = ops::declare(&state.pool, &user, input).await.map_err(|e| {
        e.with_values([
            ("title", title.as_str()),
            ("severity", severity.as_str()),
            ("summary", summary.as_deref().unwrap_or("")),
            ("services", services.as_deref().unwrap_or("")),
            ("started_at", started_at.as_deref().unwrap_or("")),
            ("private", if input_private { "on" } else { "" }),
        ])
    })?;
    leptos_axum::redirect(&incident.url);
    Ok(())
}

/// One change to an incident: status, severity or both; `version` is what the page showed.
#[server]
pub async fn change_incident(
    id: i64,
    version: i32,
    status: Option<String>,
    severity: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let patch = IncidentPatch { version: Some(version), status, severity, ..Default::default() };
    ops::update(&state.pool, &user, id, patch).await?;
    Ok(())
}

/// Assigns a role; an empty `user_id` clears it.
#[server]
pub async fn assign_role(id: i64, role: String, user_id: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let assignee = match user_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| AppError::invalid("user_id", "Choose a person from the list"))?),
    };
    ops::assign_role(&state.pool, &user, id, &role, assignee, None).await?;
    Ok(())
}

#[server]
pub async fn add_note(id: i64, body: String, occurred_at: Option<String>, key: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let input = NoteInput { body: body.clone(), occurred_at: occurred_at.clone(), key: key.clone() };
    ops::add_note(&state.pool, &user, id, input).await.map_err(|e| {
        e.with_values([
            ("body", body.as_str()),
            ("occurred_at", occurred_at.as_deref().unwrap_or("")),
            ("key", key.as_deref().unwrap_or("")),
        ])
    })?;
    Ok(())
}

/// A stakeholder update from the incident page; `next_update_at` is minutes from now (the form's
/// choices) or RFC 3339.
#[server]
pub async fn post_stakeholder_update(
    id: i64,
    message: String,
    impact: Option<String>,
    next_update_at: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let input = crate::server::updates::UpdateInput {
        message: message.clone(),
        impact: impact.clone(),
        next_update_at: next_update_at.clone(),
    };
    crate::server::updates::post(&state.pool, &user, id, &input).await.map_err(|e| {
        e.with_values([
            ("message", message.as_str()),
            ("impact", impact.as_deref().unwrap_or("")),
            ("next_update_at", next_update_at.as_deref().unwrap_or("")),
        ])
    })?;
    Ok(())
}

/// Makes the incident private (`private` is "true") or public.
#[server]
pub async fn set_incident_private(id: i64, version: i32, private: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let patch = IncidentPatch { version: Some(version), private: Some(private == "true"), ..Default::default() };
    ops::update(&state.pool, &user, id, patch).await?;
    Ok(())
}

/// Corrects one of the incident's moments; `at` is read in the corrector's zone.
#[server]
pub async fn correct_milestone(id: i64, moment: String, at: String, reason: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let input = crate::server::milestones::CorrectionInput { at: at.clone(), reason: reason.clone() };
    crate::server::milestones::correct(&state.pool, &user, id, &moment, &input)
        .await
        .map_err(|e| e.with_values([("moment", moment.as_str()), ("at", at.as_str()), ("reason", reason.as_str())]))?;
    Ok(())
}

/// "Add people": a name or email, matched to one person.
#[server]
pub async fn add_participant(id: i64, person: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::add_participant(&state.pool, &user, id, &ops::Person::NameOrEmail(person.clone()))
        .await
        .map_err(|e| e.with_values([("person", person.as_str())]))?;
    Ok(())
}

#[server]
pub async fn remove_participant(id: i64, user_id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::remove_participant(&state.pool, &user, id, user_id).await?;
    Ok(())
}
