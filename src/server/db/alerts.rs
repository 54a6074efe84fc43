//! Alert states seen, and the incidents alert groups opened.

use crate::domain::alerts::AlertStatus;
use crate::domain::Severity;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// The open incident (triage or being worked on) an alert group already has.
pub async fn open_incident(db: impl PgExecutor<'_>, integration_id: i64, group_key: &str) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM incidents
         WHERE source_integration_id = $1 AND source_group_key = $2 AND status NOT IN ('resolved', 'closed')
         ORDER BY id DESC LIMIT 1",
    )
    .bind(integration_id)
    .bind(group_key)
    .fetch_optional(db)
    .await?)
}

/// The incident an alert's firing was recorded on, if it was.
pub async fn firing_incident(
    db: impl PgExecutor<'_>,
    integration_id: i64,
    fingerprint: &str,
    starts_at: DateTime<Utc>,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT incident_id FROM alert_events
         WHERE integration_id = $1 AND fingerprint = $2 AND starts_at = $3 AND status = 'firing'",
    )
    .bind(integration_id)
    .bind(fingerprint)
    .bind(starts_at)
    .fetch_optional(db)
    .await?)
}

/// The latest state seen of a fingerprint (for senders without start times): when that episode
/// began, and whether it is firing or resolved.
pub async fn latest(
    db: impl PgExecutor<'_>,
    integration_id: i64,
    fingerprint: &str,
) -> AppResult<Option<(DateTime<Utc>, AlertStatus)>> {
    let row: Option<(DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT starts_at, status FROM alert_events WHERE integration_id = $1 AND fingerprint = $2
         ORDER BY starts_at DESC, status = 'resolved' DESC LIMIT 1",
    )
    .bind(integration_id)
    .bind(fingerprint)
    .fetch_optional(db)
    .await?;
    row.map(|(at, st)| Ok((at, super::stored(&st, format!("alert {fingerprint:?}"), "status")?))).transpose()
}

/// Records an alert state; false when it was already recorded (a retry or a repeat).
pub async fn insert_event(
    db: impl PgExecutor<'_>,
    integration_id: i64,
    fingerprint: &str,
    starts_at: DateTime<Utc>,
    status: AlertStatus,
    incident_id: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO alert_events (integration_id, fingerprint, starts_at, status, incident_id)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(integration_id)
    .bind(fingerprint)
    .bind(starts_at)
    .bind(status.as_str())
    .bind(incident_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many of the incident's alerts fire with no resolve recorded.
pub async fn still_firing(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM alert_events f
         WHERE f.incident_id = $1 AND f.status = 'firing'
           AND NOT EXISTS (SELECT 1 FROM alert_events r
                           WHERE r.integration_id = f.integration_id AND r.fingerprint = f.fingerprint
                             AND r.starts_at = f.starts_at AND r.status = 'resolved')",
    )
    .bind(incident_id)
    .fetch_one(db)
    .await?)
}

/// When the incident's first alert began.
pub async fn first_alert_at(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar("SELECT min(starts_at) FROM alert_events WHERE incident_id = $1 AND status = 'firing'")
        .bind(incident_id)
        .fetch_one(db)
        .await?)
}

pub struct NewAlertIncident<'a> {
    pub title: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    pub services: &'a [String],
    pub started_at: DateTime<Utc>,
    /// The integration's account.
    pub declared_by: i64,
    pub integration_id: i64,
    pub group_key: &'a str,
}

/// Opens an incident in triage, with no commander: a person takes it by accepting it.
pub async fn insert_incident(db: impl PgExecutor<'_>, n: &NewAlertIncident<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, status, summary, services, started_at, declared_by,
                                source_integration_id, source_group_key)
         VALUES ($1, $2, 'triage', $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(n.title)
    .bind(n.severity.as_str())
    .bind(n.summary)
    .bind(n.services)
    .bind(n.started_at)
    .bind(n.declared_by)
    .bind(n.integration_id)
    .bind(n.group_key)
    .fetch_one(db)
    .await?)
}

/// Accepted from triage: investigating, declared now, detected when the first alert began.
pub async fn accept(db: impl PgExecutor<'_>, id: i64, detected_at: DateTime<Utc>) -> AppResult<()> {
    sqlx::query(
        "UPDATE incidents SET status = 'investigating', declared_at = now(), detected_at = $2,
                started_at = LEAST(started_at, $2), version = version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(detected_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Declined from triage: closed, with the reason.
pub async fn decline(db: impl PgExecutor<'_>, id: i64, reason: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE incidents SET status = 'closed', declined_at = now(), resolved_at = COALESCE(resolved_at, now()),
                close_reason = $2, version = version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}
