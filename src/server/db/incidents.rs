use super::stored;
use crate::domain::{incident_ref, incident_url, Incident, IncidentSource, IncidentStatus, Role, Severity, UserRef};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct IncidentRecord {
    id: i64,
    title: String,
    severity: String,
    status: String,
    summary: String,
    services: Vec<String>,
    started_at: DateTime<Utc>,
    declared_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    version: i32,
    declared_by: i64,
    declared_by_name: String,
    commander_id: Option<i64>,
    commander_name: Option<String>,
    comms_lead_id: Option<i64>,
    comms_lead_name: Option<String>,
    scribe_id: Option<i64>,
    scribe_name: Option<String>,
    private: bool,
    participant_ids: Vec<i64>,
    participant_names: Vec<String>,
    source_integration_id: Option<i64>,
    source_name: Option<String>,
    source_kind: Option<String>,
    source_group_key: Option<String>,
    detected_at: Option<DateTime<Utc>>,
    declined_at: Option<DateTime<Utc>>,
}

fn user_ref(id: Option<i64>, name: Option<String>) -> Option<UserRef> {
    Some(UserRef { id: id?, name: name.unwrap_or_default() })
}

impl TryFrom<IncidentRecord> for Incident {
    type Error = AppError;

    fn try_from(r: IncidentRecord) -> AppResult<Self> {
        let row = incident_ref(r.id);
        let source = match (r.source_integration_id, r.source_group_key) {
            (Some(integration), Some(group_key)) => Some(IncidentSource {
                integration,
                integration_name: r.source_name.unwrap_or_default(),
                kind: stored(r.source_kind.as_deref().unwrap_or(""), &row, "source kind")?,
                group_key,
            }),
            _ => None,
        };
        Ok(Incident {
            id: r.id,
            reference: incident_ref(r.id),
            url: incident_url(r.id),
            title: r.title,
            severity: stored(&r.severity, &row, "severity")?,
            status: stored(&r.status, &row, "status")?,
            summary: r.summary,
            services: r.services,
            started_at: r.started_at,
            declared_at: r.declared_at,
            resolved_at: r.resolved_at,
            declared_by: UserRef { id: r.declared_by, name: r.declared_by_name },
            commander: user_ref(r.commander_id, r.commander_name),
            comms_lead: user_ref(r.comms_lead_id, r.comms_lead_name),
            scribe: user_ref(r.scribe_id, r.scribe_name),
            private: r.private,
            participants: r
                .participant_ids
                .into_iter()
                .zip(r.participant_names)
                .map(|(id, name)| UserRef { id, name })
                .collect(),
            version: r.version,
            source,
            detected_at: r.detected_at,
            declined_at: r.declined_at,
            milestones: None,
        })
    }
}

/// One SELECT for every read of an incident, so the API and the pages see the same fields.
pub const SELECT: &str = "SELECT i.id, i.title, i.severity, i.status, i.summary, i.services, i.started_at,
        i.declared_at, i.resolved_at, i.version,
        i.declared_by, d.name AS declared_by_name,
        i.commander_id, c.name AS commander_name,
        i.comms_lead_id, cl.name AS comms_lead_name,
        i.scribe_id, s.name AS scribe_name, i.private,
        ARRAY(SELECT p.user_id FROM incident_participants p JOIN users pu ON pu.id = p.user_id
              WHERE p.incident_id = i.id ORDER BY pu.name, pu.id) AS participant_ids,
        ARRAY(SELECT pu.name FROM incident_participants p JOIN users pu ON pu.id = p.user_id
              WHERE p.incident_id = i.id ORDER BY pu.name, pu.id) AS participant_names,
        i.source_integration_id, si.name AS source_name, si.kind AS source_kind, i.source_group_key,
        i.detected_at, i.declined_at
    FROM incidents i
    JOIN users d ON d.id = i.declared_by
    LEFT JOIN integrations si ON si.id = i.source_integration_id
    LEFT JOIN users c ON c.id = i.commander_id
    LEFT JOIN users cl ON cl.id = i.comms_lead_id
    LEFT JOIN users s ON s.id = i.scribe_id";

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Incident>> {
    let q = format!("{SELECT} WHERE i.id = $1");
    sqlx::query_as::<_, IncidentRecord>(&q).bind(id).fetch_optional(db).await?.map(Incident::try_from).transpose()
}

/// Locks the row for a read-check-write inside a transaction.
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<(IncidentStatus, Severity, i32)>> {
    let row: Option<(String, String, i32)> =
        sqlx::query_as("SELECT status, severity, version FROM incidents WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(|(st, sev, v)| {
        Ok((stored(&st, incident_ref(id), "status")?, stored(&sev, incident_ref(id), "severity")?, v))
    })
    .transpose()
}

/// A shared row lock: rows may be added beside the incident concurrently, but not while it is
/// being deleted.
pub async fn share_lock(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1 FOR SHARE").bind(id).fetch_optional(db).await?)
}

#[derive(Debug)]
pub struct ListFilter {
    pub status: Option<IncidentStatus>,
    pub severity: Option<Severity>,
    /// Rows after this one in the list's order (`ListCursor`).
    pub after: Option<ListCursor>,
    pub limit: i64,
}

/// A position in the incident list: whether it was finished, when it started, its id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListCursor {
    pub finished: bool,
    pub started_at: DateTime<Utc>,
    pub id: i64,
}

/// Declined triage incidents are listed only when closed incidents are asked for.
const LIST_WHERE: &str = "($1::text IS NULL OR i.status = $1) AND ($2::text IS NULL OR i.severity = $2)
    AND (i.declined_at IS NULL OR $1 = 'closed') AND incident_visible(i.id, $3)";

/// Open incidents first, then the most recent; only those `viewer` may see, `limit` from `after`.
pub async fn list(db: impl PgExecutor<'_>, viewer: i64, f: &ListFilter) -> AppResult<Vec<Incident>> {
    let q = format!(
        "{SELECT} WHERE {LIST_WHERE}
           AND ($4::bool IS NULL OR (i.status IN ('resolved', 'closed')) > $4
                OR ((i.status IN ('resolved', 'closed')) = $4 AND (i.started_at, i.id) < ($5, $6)))
         ORDER BY (i.status IN ('resolved', 'closed')), i.started_at DESC, i.id DESC LIMIT $7"
    );
    let after = f.after;
    sqlx::query_as::<_, IncidentRecord>(&q)
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.severity.map(|s| s.as_str()))
        .bind(viewer)
        .bind(after.map(|c| c.finished))
        .bind(after.map(|c| c.started_at))
        .bind(after.map(|c| c.id))
        .bind(f.limit)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(Incident::try_from)
        .collect()
}

/// How many incidents the whole filtered list holds, for `viewer`.
pub async fn count(db: impl PgExecutor<'_>, viewer: i64, f: &ListFilter) -> AppResult<i64> {
    let q = format!("SELECT count(*) FROM incidents i WHERE {LIST_WHERE}");
    Ok(sqlx::query_scalar(&q)
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.severity.map(|s| s.as_str()))
        .bind(viewer)
        .fetch_one(db)
        .await?)
}

pub struct NewIncident<'a> {
    pub title: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    pub services: &'a [String],
    pub started_at: DateTime<Utc>,
    pub declared_by: i64,
    pub private: bool,
}

pub async fn insert(db: impl PgExecutor<'_>, n: &NewIncident<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, summary, services, started_at, declared_by, commander_id, private)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
    )
    .bind(n.title)
    .bind(n.severity.as_str())
    .bind(n.summary)
    .bind(n.services)
    .bind(n.started_at)
    .bind(n.declared_by)
    .bind(n.private)
    .fetch_one(db)
    .await?)
}

/// An incident's new state; a text left `None` keeps what is stored.
pub struct Update<'a> {
    pub status: IncidentStatus,
    pub severity: Severity,
    pub title: Option<&'a str>,
    pub summary: Option<&'a str>,
}

/// Writes the changed fields and bumps the version. `resolved_at` follows the status.
pub async fn update(db: impl PgExecutor<'_>, id: i64, u: &Update<'_>) -> AppResult<()> {
    sqlx::query(
        "UPDATE incidents SET status = $2, severity = $3,
            title = COALESCE($4, title), summary = COALESCE($5, summary),
            resolved_at = CASE WHEN $2 IN ('resolved', 'closed') THEN COALESCE(resolved_at, now()) ELSE NULL END,
            version = version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(u.status.as_str())
    .bind(u.severity.as_str())
    .bind(u.title)
    .bind(u.summary)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_close_reason(db: impl PgExecutor<'_>, id: i64, reason: Option<&str>) -> AppResult<()> {
    sqlx::query("UPDATE incidents SET close_reason = $2 WHERE id = $1").bind(id).bind(reason).execute(db).await?;
    Ok(())
}

pub async fn set_role(db: impl PgExecutor<'_>, id: i64, role: Role, user_id: Option<i64>) -> AppResult<()> {
    let column = match role {
        Role::Commander => "commander_id",
        Role::CommsLead => "comms_lead_id",
        Role::Scribe => "scribe_id",
    };
    sqlx::query(&format!("UPDATE incidents SET {column} = $2, version = version + 1 WHERE id = $1"))
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Tells every app instance that an incident changed (delivered at commit; dropped on rollback).
pub async fn notify(db: impl PgExecutor<'_>, id: i64, what: &str) -> AppResult<()> {
    let payload = serde_json::json!({ "incident_id": id, "what": what }).to_string();
    sqlx::query("SELECT pg_notify('debrief_live', $1)").bind(payload).execute(db).await?;
    Ok(())
}

/// Open incidents counted by severity and status, for the metrics.
pub async fn open_counts(db: impl PgExecutor<'_>) -> AppResult<Vec<(Severity, IncidentStatus, i64)>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT severity, status, count(*) FROM incidents WHERE status NOT IN ('resolved', 'closed') GROUP BY 1, 2",
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(sev, st, n)| {
            let row = format!("open incidents ({sev}, {st})");
            Ok((stored(&sev, &row, "severity")?, stored(&st, &row, "status")?, n))
        })
        .collect()
}

/// Tells every app instance that a user's sign-ins ended, so their open live streams close.
pub async fn notify_signed_out(db: impl PgExecutor<'_>, user_id: i64) -> AppResult<()> {
    let payload = serde_json::json!({ "incident_id": 0, "what": "signed_out", "user_id": user_id }).to_string();
    sqlx::query("SELECT pg_notify('debrief_live', $1)").bind(payload).execute(db).await?;
    Ok(())
}

pub async fn set_private(db: impl PgExecutor<'_>, id: i64, private: bool) -> AppResult<()> {
    sqlx::query("UPDATE incidents SET private = $2, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(private)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds a participant; false when they already were one.
pub async fn add_participant(db: impl PgExecutor<'_>, id: i64, user_id: i64, added_by: i64) -> AppResult<bool> {
    let added = sqlx::query(
        "INSERT INTO incident_participants (incident_id, user_id, added_by) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user_id)
    .bind(added_by)
    .execute(db)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// Removes a participant; false when they were not one.
pub async fn remove_participant(db: impl PgExecutor<'_>, id: i64, user_id: i64) -> AppResult<bool> {
    let removed = sqlx::query("DELETE FROM incident_participants WHERE incident_id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(removed.rows_affected() == 1)
}

/// Whether `viewer` may see the incident (`None`: everyone, so public incidents only). The rule
/// itself is the SQL function `incident_visible`, which list queries use directly.
pub async fn visible(db: impl PgExecutor<'_>, id: i64, viewer: Option<i64>) -> AppResult<bool> {
    Ok(sqlx::query_scalar("SELECT incident_visible($1, $2)").bind(id).bind(viewer).fetch_one(db).await?)
}
