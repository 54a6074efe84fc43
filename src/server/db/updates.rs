//! Stakeholder updates.

use crate::domain::{StakeholderUpdate, UserRef};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    incident_id: i64,
    author_id: i64,
    author_name: String,
    message: String,
    impact: String,
    next_update_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<Row> for StakeholderUpdate {
    fn from(r: Row) -> Self {
        StakeholderUpdate {
            id: r.id,
            incident_id: r.incident_id,
            author: UserRef { id: r.author_id, name: r.author_name },
            message: r.message,
            impact: r.impact,
            next_update_at: r.next_update_at,
            created_at: r.created_at,
        }
    }
}

const SELECT: &str = "SELECT u.id, u.incident_id, u.author_id, a.name AS author_name, u.message, u.impact,
                             u.next_update_at, u.created_at
                      FROM incident_updates u JOIN users a ON a.id = u.author_id";

pub async fn insert(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    author_id: i64,
    message: &str,
    impact: &str,
    next_update_at: Option<DateTime<Utc>>,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO incident_updates (incident_id, author_id, message, impact, next_update_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(incident_id)
    .bind(author_id)
    .bind(message)
    .bind(impact)
    .bind(next_update_at)
    .fetch_one(db)
    .await?)
}

pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<StakeholderUpdate>> {
    let q = format!("{SELECT} WHERE u.id = $1");
    Ok(sqlx::query_as::<_, Row>(&q).bind(id).fetch_optional(db).await?.map(Into::into))
}

/// Up to `limit` updates, newest first, older than id `before`; and how many there are.
pub async fn page(
    conn: &mut sqlx::PgConnection,
    incident_id: i64,
    before: Option<i64>,
    limit: i64,
) -> AppResult<(Vec<StakeholderUpdate>, i64)> {
    let q =
        format!("{SELECT} WHERE u.incident_id = $1 AND ($2::bigint IS NULL OR u.id < $2) ORDER BY u.id DESC LIMIT $3");
    let rows = sqlx::query_as::<_, Row>(&q).bind(incident_id).bind(before).bind(limit).fetch_all(&mut *conn).await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM incident_updates WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

pub async fn latest(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Option<StakeholderUpdate>> {
    let q = format!("{SELECT} WHERE u.incident_id = $1 ORDER BY u.id DESC LIMIT 1");
    Ok(sqlx::query_as::<_, Row>(&q).bind(incident_id).fetch_optional(db).await?.map(Into::into))
}
