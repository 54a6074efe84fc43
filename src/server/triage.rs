//! Triage: a person accepts an incident an alert opened (it becomes investigating, declared now and
//! detected when its first alert began) or declines it with a reason (closed, and left out of the
//! default list and of every figure).

use super::access::{self, no_incident as not_found};
use super::audit;
use super::db::{self, timeline::Change};
use super::incidents::{load, record};
use super::outbox::Told;
use crate::domain::accounts::AuditAction;
use crate::domain::notify::NotifyEvent;
use crate::domain::{validate, EventKind, Incident, IncidentStatus, User};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use sqlx::PgPool;

/// Locks an incident in triage that `user` may see and change.
async fn lock_triage(tx: &mut sqlx::PgConnection, user: &User, id: i64) -> AppResult<()> {
    access::require_writer(user)?;
    access::see_incident(&mut *tx, user, id).await?;
    let (status, ..) = db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    if status != IncidentStatus::Triage {
        return Err(AppError::invalid(
            "status",
            format!("Only an incident in triage can be accepted or declined (this one is {status})"),
        ));
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn accept(pool: &PgPool, user: &User, id: i64) -> AppResult<Incident> {
    let mut tx = pool.begin().await?;
    lock_triage(&mut tx, user, id).await?;
    let current = load(&mut *tx, id).await?;
    let detected = db::alerts::first_alert_at(&mut *tx, id).await?.unwrap_or(current.started_at);
    db::alerts::accept(&mut *tx, id, detected).await?;
    let body = format!("{} accepted the incident from triage: investigating", user.name);
    let change = Change::between(IncidentStatus::Triage.as_str(), IncidentStatus::Investigating.as_str());
    record(&mut tx, id, user, EventKind::Status, &body, change, Utc::now()).await?;
    let accepted = load(&mut *tx, id).await?;
    let what = format!("accepted from triage as {}, investigating", accepted.severity);
    let told = Told { event: NotifyEvent::Accepted, what, detail: accepted.summary.clone(), path: None, actor: user };
    super::outbox::tell(&mut tx, &accepted, [told]).await?;
    db::incidents::notify(&mut *tx, id, "accepted").await?;
    tx.commit().await?;
    Ok(accepted)
}

#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn decline(pool: &PgPool, user: &User, id: i64, reason: &str) -> AppResult<Incident> {
    if reason.trim().is_empty() {
        let m = "Say why this is not an incident (for example \u{201c}test alert\u{201d} or \u{201c}known flapping check\u{201d})";
        return Err(AppError::invalid("reason", m));
    }
    let reason = validate::close_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
    let mut tx = pool.begin().await?;
    lock_triage(&mut tx, user, id).await?;
    let current = load(&mut *tx, id).await?;
    db::alerts::decline(&mut *tx, id, &reason).await?;
    let body = format!("{} declined the incident: {reason}", user.name);
    let change = Change::between(IncidentStatus::Triage.as_str(), IncidentStatus::Closed.as_str());
    record(&mut tx, id, user, EventKind::Status, &body, change, Utc::now()).await?;
    let change = Some(serde_json::json!({ "reason": reason }));
    audit::record(&mut *tx, user, AuditAction::IncidentDeclined, audit::Object::incident(id, &current.title), change)
        .await?;
    db::incidents::notify(&mut *tx, id, "closed").await?;
    tx.commit().await?;
    load(pool, id).await
}
