//! Signed-in browsers (the session holds only the row's id) and one-time password reset links.

use super::users::{UserRecord, COLUMNS};
use crate::domain::accounts::SignIn;
use crate::domain::User;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};

pub async fn insert(
    db: impl PgExecutor<'_>,
    id: &str,
    user_id: i64,
    address: Option<&str>,
    user_agent: &str,
) -> AppResult<()> {
    sqlx::query("INSERT INTO sign_ins (id, user_id, address, user_agent) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(user_id)
        .bind(address)
        .bind(user_agent)
        .execute(db)
        .await?;
    Ok(())
}

/// The user of an open sign-in and when it started (the caller applies the absolute lifetime),
/// noting that it was seen (at most once a minute). None when it ended or the user was deactivated.
pub async fn user_of(db: impl PgExecutor<'_>, id: &str) -> AppResult<Option<(User, DateTime<Utc>)>> {
    let user_columns: String = COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    let q = format!(
        "WITH touched AS (
             UPDATE sign_ins SET last_seen_at = now()
             WHERE id = $1 AND ended_at IS NULL AND last_seen_at < now() - interval '1 minute'
         )
         SELECT {user_columns}, s.started_at FROM sign_ins s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.ended_at IS NULL AND u.active"
    );
    let Some(row) = sqlx::query(&q).bind(id).fetch_optional(db).await? else { return Ok(None) };
    let started: DateTime<Utc> = row.try_get("started_at")?;
    let user = <UserRecord as sqlx::FromRow<_>>::from_row(&row)?;
    Ok(Some((User::try_from(user)?, started)))
}

/// Someone's open sign-ins, most recently seen first.
pub async fn open(db: impl PgExecutor<'_>, user_id: i64) -> AppResult<Vec<SignIn>> {
    let rows = sqlx::query(
        "SELECT id, started_at, last_seen_at, address, user_agent FROM sign_ins
         WHERE user_id = $1 AND ended_at IS NULL ORDER BY last_seen_at DESC, started_at DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SignIn {
                id: r.try_get("id")?,
                started_at: r.try_get("started_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                address: r.try_get("address")?,
                user_agent: r.try_get("user_agent")?,
                current: false,
            })
        })
        .collect()
}

/// Ends one sign-in.
pub async fn end(db: impl PgExecutor<'_>, id: &str) -> AppResult<()> {
    sqlx::query("UPDATE sign_ins SET ended_at = now() WHERE id = $1 AND ended_at IS NULL").bind(id).execute(db).await?;
    Ok(())
}

/// Ends every open sign-in of a user except `keep`; how many ended.
pub async fn end_all(db: impl PgExecutor<'_>, user_id: i64, keep: Option<&str>) -> AppResult<u64> {
    let done = sqlx::query(
        "UPDATE sign_ins SET ended_at = now()
         WHERE user_id = $1 AND ended_at IS NULL AND ($2::text IS NULL OR id <> $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn insert_reset(
    db: impl PgExecutor<'_>,
    user_id: i64,
    token_hash: &str,
    created_by: i64,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    sqlx::query("INSERT INTO password_resets (user_id, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(user_id)
        .bind(token_hash)
        .bind(created_by)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// A reset link's row, locked until the transaction ends: `(id, user_id, created_at, used_at)`.
pub async fn lock_reset(
    db: impl PgExecutor<'_>,
    token_hash: &str,
) -> AppResult<Option<(i64, i64, DateTime<Utc>, Option<DateTime<Utc>>)>> {
    Ok(sqlx::query_as("SELECT id, user_id, created_at, used_at FROM password_resets WHERE token_hash = $1 FOR UPDATE")
        .bind(token_hash)
        .fetch_optional(db)
        .await?)
}

pub async fn use_reset(db: impl PgExecutor<'_>, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE password_resets SET used_at = now() WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}
