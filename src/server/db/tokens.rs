//! API tokens: only a SHA-256 of each is stored.

use super::users::{UserRecord, COLUMNS};
use crate::domain::accounts::{Token, TokenScope};
use crate::domain::{User, UserRef};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct TokenRecord {
    id: i64,
    name: String,
    scope: String,
    user_id: i64,
    user_name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRecord> for Token {
    type Error = AppError;

    fn try_from(r: TokenRecord) -> AppResult<Self> {
        Ok(Token {
            scope: super::stored(&r.scope, format!("API token {}", r.id), "scope")?,
            id: r.id,
            name: r.name,
            user: UserRef { id: r.user_id, name: r.user_name },
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        })
    }
}

const SELECT: &str = "SELECT t.id, t.name, t.scope, t.user_id, u.name AS user_name, t.created_at, t.last_used_at,
                             t.expires_at, t.revoked_at
                      FROM api_tokens t JOIN users u ON u.id = t.user_id";

pub async fn insert(
    db: impl PgExecutor<'_>,
    user_id: i64,
    name: &str,
    scope: TokenScope,
    expires_at: Option<DateTime<Utc>>,
    token_hash: &str,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, scope, expires_at, token_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(scope.as_str())
    .bind(expires_at)
    .bind(token_hash)
    .fetch_one(db)
    .await?)
}

/// Up to `limit` of one person's tokens, or everyone's (`None`), newest first, older than id
/// `before`; and how many there are in all.
pub async fn page(
    conn: &mut sqlx::PgConnection,
    user_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<(Vec<Token>, i64)> {
    let q = format!(
        "{SELECT} WHERE ($1::bigint IS NULL OR t.user_id = $1) AND ($2::bigint IS NULL OR t.id < $2)
         ORDER BY t.id DESC LIMIT $3"
    );
    let rows =
        sqlx::query_as::<_, TokenRecord>(&q).bind(user_id).bind(before).bind(limit).fetch_all(&mut *conn).await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE $1::bigint IS NULL OR user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows.into_iter().map(Token::try_from).collect::<AppResult<_>>()?, total))
}

pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Token>> {
    let q = format!("{SELECT} WHERE t.id = $1");
    sqlx::query_as::<_, TokenRecord>(&q).bind(id).fetch_optional(db).await?.map(Token::try_from).transpose()
}

/// Marks a token revoked; false when it already was.
pub async fn revoke(db: impl PgExecutor<'_>, id: i64) -> AppResult<bool> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The holder and the token a secret's hash names, whatever its state (the caller decides), and
/// notes its use (at most once a minute, so reads do not turn into a write each).
pub async fn by_hash(db: impl PgExecutor<'_>, token_hash: &str) -> AppResult<Option<(User, Token)>> {
    let user_columns: String = COLUMNS.split(", ").map(|c| format!("u.{c} AS u_{c}")).collect::<Vec<_>>().join(", ");
    let q = format!(
        "WITH touched AS (
             UPDATE api_tokens SET last_used_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
         )
         SELECT t.id, t.name, t.scope, t.user_id, u.name AS user_name, t.created_at, t.last_used_at, t.expires_at,
                t.revoked_at, {user_columns}
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
    );
    let Some(row) = sqlx::query(&q).bind(token_hash).fetch_optional(db).await? else { return Ok(None) };
    use sqlx::{FromRow, Row};
    let token = Token::try_from(TokenRecord::from_row(&row)?)?;
    let user = UserRecord {
        id: row.try_get("u_id")?,
        email: row.try_get("u_email")?,
        name: row.try_get("u_name")?,
        role: row.try_get("u_role")?,
        time_zone: row.try_get("u_time_zone")?,
        team: row.try_get("u_team")?,
        active: row.try_get("u_active")?,
    };
    Ok(Some((User::try_from(user)?, token)))
}
