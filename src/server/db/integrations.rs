//! Alert integrations and the accounts they act as. Only a SHA-256 of each token is stored.

use super::users::{UserRecord, COLUMNS};
use crate::domain::alerts::{Integration, IntegrationKind};
use crate::domain::{User, UserRef};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct IntegrationRecord {
    id: i64,
    kind: String,
    name: String,
    created_by: i64,
    created_by_name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<IntegrationRecord> for Integration {
    type Error = AppError;

    fn try_from(r: IntegrationRecord) -> AppResult<Self> {
        Ok(Integration {
            kind: super::stored(&r.kind, format!("integration {}", r.id), "kind")?,
            id: r.id,
            name: r.name,
            created_by: UserRef { id: r.created_by, name: r.created_by_name },
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

const SELECT: &str = "SELECT g.id, g.kind, g.name, g.created_by, u.name AS created_by_name, g.created_at,
                             g.last_used_at, g.revoked_at
                      FROM integrations g JOIN users u ON u.id = g.created_by";

/// The account an integration acts as: it cannot sign in (no password, an address that cannot
/// receive mail) and is not listed among people.
pub async fn insert_account(db: impl PgExecutor<'_>, name: &str) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (email, name, role, password_hash, kind)
         VALUES ('integration-' || gen_random_uuid() || '@integrations.invalid', $1, 'member', NULL, 'integration')
         RETURNING id",
    )
    .bind(name)
    .fetch_one(db)
    .await?)
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    kind: IntegrationKind,
    name: &str,
    token_hash: &str,
    user_id: i64,
    created_by: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO integrations (kind, name, token_hash, user_id, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(kind.as_str())
    .bind(name)
    .bind(token_hash)
    .bind(user_id)
    .bind(created_by)
    .fetch_one(db)
    .await?)
}

/// Every integration, the working ones first, then newest first.
pub async fn list(db: impl PgExecutor<'_>) -> AppResult<Vec<Integration>> {
    let q = format!("{SELECT} ORDER BY g.revoked_at IS NOT NULL, g.id DESC LIMIT 500");
    sqlx::query_as::<_, IntegrationRecord>(&q).fetch_all(db).await?.into_iter().map(Integration::try_from).collect()
}

pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Integration>> {
    let q = format!("{SELECT} WHERE g.id = $1");
    sqlx::query_as::<_, IntegrationRecord>(&q).bind(id).fetch_optional(db).await?.map(Integration::try_from).transpose()
}

/// Revokes it and deactivates its account; false when it already was revoked.
pub async fn revoke(db: impl PgExecutor<'_>, id: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "WITH g AS (UPDATE integrations SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING user_id)
         UPDATE users SET active = false WHERE id IN (SELECT user_id FROM g)",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The integration a token's hash names, whatever its state, with the account it acts as; notes its
/// use at most once a minute.
pub async fn by_hash(db: impl PgExecutor<'_>, token_hash: &str) -> AppResult<Option<(Integration, User)>> {
    let user_columns: String = COLUMNS.split(", ").map(|c| format!("a.{c} AS a_{c}")).collect::<Vec<_>>().join(", ");
    let q = format!(
        "WITH touched AS (
             UPDATE integrations SET last_used_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
         )
         SELECT g.id, g.kind, g.name, g.created_by, u.name AS created_by_name, g.created_at, g.last_used_at,
                g.revoked_at, {user_columns}
         FROM integrations g JOIN users u ON u.id = g.created_by JOIN users a ON a.id = g.user_id
         WHERE g.token_hash = $1"
    );
    let Some(row) = sqlx::query(&q).bind(token_hash).fetch_optional(db).await? else { return Ok(None) };
    use sqlx::{FromRow, Row};
    let integration = Integration::try_from(IntegrationRecord::from_row(&row)?)?;
    let account = UserRecord {
        id: row.try_get("a_id")?,
        email: row.try_get("a_email")?,
        name: row.try_get("a_name")?,
        role: row.try_get("a_role")?,
        time_zone: row.try_get("a_time_zone")?,
        team: row.try_get("a_team")?,
        active: row.try_get("a_active")?,
    };
    Ok(Some((integration, User::try_from(account)?)))
}
