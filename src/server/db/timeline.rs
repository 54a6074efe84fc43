use super::{stored, stored_opt};
use crate::domain::{EventKind, KeyKind, TimelineEvent, UserRef};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct EventRecord {
    id: i64,
    incident_id: i64,
    kind: String,
    author_id: i64,
    author_name: String,
    body: String,
    body_html: String,
    from_value: Option<String>,
    to_value: Option<String>,
    key_kind: Option<String>,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
}

impl TryFrom<EventRecord> for TimelineEvent {
    type Error = AppError;

    fn try_from(r: EventRecord) -> AppResult<Self> {
        let row = format!("timeline event {}", r.id);
        Ok(TimelineEvent {
            id: r.id,
            incident_id: r.incident_id,
            kind: stored(&r.kind, &row, "kind")?,
            author: UserRef { id: r.author_id, name: r.author_name },
            body: r.body,
            body_html: r.body_html,
            from: r.from_value,
            to: r.to_value,
            key: stored_opt(r.key_kind.as_deref(), &row, "key event kind")?,
            occurred_at: r.occurred_at,
            recorded_at: r.recorded_at,
        })
    }
}

const SELECT: &str = "SELECT e.id, e.incident_id, e.kind, e.author_id, u.name AS author_name, e.body, e.body_html,
        e.from_value, e.to_value, e.key_kind, e.occurred_at, e.recorded_at
    FROM timeline_events e JOIN users u ON u.id = e.author_id";

/// What a change went from and to (a status, a role holder, a title), for events that record one.
/// A struct rather than two `Option<&str>` arguments, so the two cannot be swapped.
#[derive(Clone, Copy, Default)]
pub struct Change<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

impl<'a> Change<'a> {
    pub const NONE: Change<'static> = Change { from: None, to: None };

    pub fn between(from: &'a str, to: &'a str) -> Self {
        Change { from: Some(from), to: Some(to) }
    }

    /// Something set or added where there was nothing.
    pub fn set(to: &'a str) -> Self {
        Change { from: None, to: Some(to) }
    }

    /// Something removed, leaving nothing.
    pub fn unset(from: &'a str) -> Self {
        Change { from: Some(from), to: None }
    }
}

pub struct NewEvent<'a> {
    pub incident_id: i64,
    pub kind: EventKind,
    pub author_id: i64,
    pub body: &'a str,
    pub body_html: &'a str,
    pub change: Change<'a>,
    pub key: Option<KeyKind>,
    pub occurred_at: DateTime<Utc>,
}

pub async fn insert(db: impl PgExecutor<'_>, e: &NewEvent<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO timeline_events
            (incident_id, kind, author_id, body, body_html, from_value, to_value, key_kind, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(e.incident_id)
    .bind(e.kind.as_str())
    .bind(e.author_id)
    .bind(e.body)
    .bind(e.body_html)
    .bind(e.change.from)
    .bind(e.change.to)
    .bind(e.key.map(|k| k.as_str()))
    .bind(e.occurred_at)
    .fetch_one(db)
    .await?)
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<TimelineEvent>> {
    let q = format!("{SELECT} WHERE e.id = $1");
    sqlx::query_as::<_, EventRecord>(&q).bind(id).fetch_optional(db).await?.map(TimelineEvent::try_from).transpose()
}

/// A position in the timeline: events strictly before it come next when paging back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub occurred_at: DateTime<Utc>,
    pub id: i64,
}

/// The newest `limit` events before `before` (all when `None`), returned oldest first.
pub async fn window(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    before: Option<Cursor>,
    limit: i64,
) -> AppResult<Vec<TimelineEvent>> {
    let q = format!(
        "{SELECT} WHERE e.incident_id = $1 AND ($2::timestamptz IS NULL OR (e.occurred_at, e.id) < ($2, $3))
         ORDER BY e.occurred_at DESC, e.id DESC LIMIT $4"
    );
    let mut rows = sqlx::query_as::<_, EventRecord>(&q)
        .bind(incident_id)
        .bind(before.map(|c| c.occurred_at))
        .bind(before.map(|c| c.id).unwrap_or(0))
        .bind(limit)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(TimelineEvent::try_from)
        .collect::<AppResult<Vec<_>>>()?;
    rows.reverse();
    Ok(rows)
}

pub async fn count(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM timeline_events WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_one(db)
        .await?)
}

/// Events in order (oldest first), `limit` of them after `after`, for the API.
pub async fn page(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    after: Option<Cursor>,
    limit: i64,
) -> AppResult<Vec<TimelineEvent>> {
    let q = format!(
        "{SELECT} WHERE e.incident_id = $1 AND ($2::timestamptz IS NULL OR (e.occurred_at, e.id) > ($2, $3))
         ORDER BY e.occurred_at, e.id LIMIT $4"
    );
    sqlx::query_as::<_, EventRecord>(&q)
        .bind(incident_id)
        .bind(after.map(|c| c.occurred_at))
        .bind(after.map(|c| c.id).unwrap_or(0))
        .bind(limit)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(TimelineEvent::try_from)
        .collect()
}

/// The events marked as key moments (trigger, detection, mitigation, resolution), in order.
pub async fn key_events(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<TimelineEvent>> {
    let q = format!("{SELECT} WHERE e.incident_id = $1 AND e.key_kind IS NOT NULL ORDER BY e.occurred_at, e.id");
    sqlx::query_as::<_, EventRecord>(&q)
        .bind(incident_id)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(TimelineEvent::try_from)
        .collect()
}
