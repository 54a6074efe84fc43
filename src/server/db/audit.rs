//! The audit log: rows are only ever inserted (a trigger refuses anything else).

use crate::domain::accounts::{AuditAction, AuditActor, AuditEntry, AuditObject};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// One entry to append; `at` is the database's clock.
pub struct NewEntry<'a> {
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub token_id: Option<i64>,
    pub action: AuditAction,
    pub object: (&'a str, String, String),
    pub address: Option<&'a str>,
    pub change: Option<serde_json::Value>,
}

pub async fn insert(db: impl PgExecutor<'_>, e: NewEntry<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor_name, token_id, action, object_type, object_id, object_name, address, change)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.actor_id)
    .bind(e.actor_name)
    .bind(e.token_id)
    .bind(e.action.as_str())
    .bind(e.object.0)
    .bind(&e.object.1)
    .bind(&e.object.2)
    .bind(e.address)
    .bind(e.change)
    .execute(db)
    .await?;
    Ok(())
}

/// Which entries: each `None` matches everything. `actor` is a user id; `object` matches the
/// object's type, id or name (case-insensitive substring).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub actor: Option<i64>,
    pub action: Option<AuditAction>,
    pub object: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Strictly older than this `(at, id)`: the page after the one that ended there.
    pub before: Option<(DateTime<Utc>, i64)>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_name: String,
    token_id: Option<i64>,
    action: String,
    object_type: String,
    object_id: String,
    object_name: String,
    address: Option<String>,
    change: Option<serde_json::Value>,
}

impl TryFrom<Row> for AuditEntry {
    type Error = AppError;

    fn try_from(r: Row) -> AppResult<Self> {
        let actor = (r.actor_id.is_some() || !r.actor_name.is_empty()).then_some(AuditActor {
            user_id: r.actor_id,
            name: r.actor_name,
            token_id: r.token_id,
        });
        let object = (!r.object_type.is_empty()).then_some(AuditObject {
            kind: r.object_type,
            id: r.object_id,
            name: r.object_name,
        });
        Ok(AuditEntry {
            action: super::stored(&r.action, format!("audit entry {}", r.id), "action")?,
            id: r.id,
            at: r.at,
            actor,
            object,
            address: r.address,
            change: r.change,
        })
    }
}

const WHERE: &str = "($1::bigint IS NULL OR actor_id = $1)
      AND ($2::text IS NULL OR action = $2)
      AND ($3::text IS NULL OR strpos(lower(object_type || ' ' || object_id || ' ' || object_name), lower($3)) > 0)
      AND ($4::timestamptz IS NULL OR at >= $4)
      AND ($5::timestamptz IS NULL OR at < $5)";

/// Up to `limit` entries, newest first, and how many match in all.
pub async fn list(conn: &mut sqlx::PgConnection, f: &Filter, limit: i64) -> AppResult<(Vec<AuditEntry>, i64)> {
    let q = format!(
        "SELECT id, at, actor_id, actor_name, token_id, action, object_type, object_id, object_name, address, change
         FROM audit_log WHERE {WHERE} AND ($6::timestamptz IS NULL OR (at, id) < ($6, $7))
         ORDER BY at DESC, id DESC LIMIT $8"
    );
    let rows = sqlx::query_as::<_, Row>(&q)
        .bind(f.actor)
        .bind(f.action.map(|a| a.as_str()))
        .bind(f.object.as_deref())
        .bind(f.from)
        .bind(f.to)
        .bind(f.before.map(|b| b.0))
        .bind(f.before.map(|b| b.1))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let count = format!("SELECT count(*) FROM audit_log WHERE {WHERE}");
    let total: i64 = sqlx::query_scalar(&count)
        .bind(f.actor)
        .bind(f.action.map(|a| a.as_str()))
        .bind(f.object.as_deref())
        .bind(f.from)
        .bind(f.to)
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows.into_iter().map(AuditEntry::try_from).collect::<AppResult<_>>()?, total))
}
