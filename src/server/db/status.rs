//! The service catalogue and what the status page reads of incidents.

use super::stored;
use crate::domain::incident_ref;
use crate::domain::status::{Service, StatusIncident, StatusUpdate};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct ServiceRecord {
    id: i64,
    name: String,
    team: String,
    description: String,
    created_at: DateTime<Utc>,
}

impl From<ServiceRecord> for Service {
    fn from(r: ServiceRecord) -> Self {
        Service { id: r.id, name: r.name, team: r.team, description: r.description, created_at: r.created_at }
    }
}

pub async fn services(db: impl PgExecutor<'_>) -> AppResult<Vec<Service>> {
    let rows = sqlx::query_as::<_, ServiceRecord>(
        "SELECT id, name, team, description, created_at FROM services ORDER BY lower(name) LIMIT 1000",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Service::from).collect())
}

pub async fn service(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Service>> {
    let row = sqlx::query_as::<_, ServiceRecord>(
        "SELECT id, name, team, description, created_at FROM services WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Service::from))
}

/// Adds a service; `None` when one of that name (whatever its case) exists.
pub async fn insert_service(
    db: impl PgExecutor<'_>,
    name: &str,
    team: &str,
    description: &str,
    created_by: i64,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO services (name, team, description, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (lower(name)) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(team)
    .bind(description)
    .bind(created_by)
    .fetch_optional(db)
    .await?)
}

pub async fn delete_service(db: impl PgExecutor<'_>, id: i64) -> AppResult<bool> {
    Ok(sqlx::query("DELETE FROM services WHERE id = $1").bind(id).execute(db).await?.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct IncidentRecord {
    id: i64,
    title: String,
    severity: String,
    status: String,
    services: Vec<String>,
    declared_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    message: Option<String>,
    impact: Option<String>,
    posted_at: Option<DateTime<Utc>>,
    next_update_at: Option<DateTime<Utc>>,
}

impl TryFrom<IncidentRecord> for StatusIncident {
    type Error = crate::error::AppError;

    fn try_from(r: IncidentRecord) -> AppResult<Self> {
        let row = format!("incident {}", r.id);
        let latest_update = match (r.message, r.posted_at) {
            (Some(message), Some(posted_at)) => Some(StatusUpdate {
                message,
                impact: r.impact.unwrap_or_default(),
                posted_at,
                next_update_at: r.next_update_at,
            }),
            _ => None,
        };
        Ok(StatusIncident {
            severity: stored(&r.severity, &row, "severity")?,
            status: stored(&r.status, &row, "status")?,
            reference: incident_ref(r.id),
            id: r.id,
            title: r.title,
            services: r.services,
            declared_at: r.declared_at,
            resolved_at: r.resolved_at,
            latest_update,
        })
    }
}

/// Public incidents a person confirmed (not in triage, not declined) that are open or were resolved
/// after `since`, each with its latest update: most severe first, then newest.
pub async fn incidents(db: impl PgExecutor<'_>, since: DateTime<Utc>) -> AppResult<Vec<StatusIncident>> {
    let rows = sqlx::query_as::<_, IncidentRecord>(
        "SELECT i.id, i.title, i.severity, i.status, i.services, i.declared_at, i.resolved_at,
                u.message, u.impact, u.created_at AS posted_at, u.next_update_at
         FROM incidents i
         LEFT JOIN LATERAL (
             SELECT message, impact, created_at, next_update_at FROM incident_updates
             WHERE incident_id = i.id ORDER BY id DESC LIMIT 1
         ) u ON true
         WHERE NOT i.private AND i.declined_at IS NULL AND i.status <> 'triage'
           AND (i.status IN ('investigating', 'identified', 'monitoring') OR i.resolved_at >= $1)
         ORDER BY i.severity, i.declared_at DESC
         LIMIT 200",
    )
    .bind(since)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(StatusIncident::try_from).collect()
}

/// An update as the status feed lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct FeedUpdate {
    pub id: i64,
    pub incident_id: i64,
    pub title: String,
    pub message: String,
    pub impact: String,
    pub created_at: DateTime<Utc>,
}

/// The newest updates of public, confirmed incidents.
pub async fn feed_updates(db: impl PgExecutor<'_>, limit: i64) -> AppResult<Vec<FeedUpdate>> {
    Ok(sqlx::query_as::<_, FeedUpdate>(
        "SELECT u.id, u.incident_id, i.title, u.message, u.impact, u.created_at
         FROM incident_updates u JOIN incidents i ON i.id = u.incident_id
         WHERE NOT i.private AND i.declined_at IS NULL AND i.status <> 'triage'
         ORDER BY u.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}
