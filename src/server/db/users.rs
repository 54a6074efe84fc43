use crate::domain::{User, UserRef, UserRole};
use crate::error::{AppError, AppResult};
use sqlx::{PgExecutor, Row};

#[derive(sqlx::FromRow)]
pub(super) struct UserRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub time_zone: String,
    pub team: String,
    pub active: bool,
}

impl TryFrom<UserRecord> for User {
    type Error = AppError;

    fn try_from(r: UserRecord) -> AppResult<Self> {
        Ok(User {
            role: super::stored(&r.role, format!("user {}", r.id), "role")?,
            id: r.id,
            email: r.email,
            name: r.name,
            time_zone: r.time_zone,
            team: r.team,
            active: r.active,
            origin: Default::default(),
        })
    }
}

pub(super) const COLUMNS: &str = "id, email, name, role, time_zone, team, active";

pub async fn count(db: impl PgExecutor<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM users WHERE kind = 'person'").fetch_one(db).await?)
}

pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE kind = 'person' AND id = $1");
    sqlx::query_as::<_, UserRecord>(&q).bind(id).fetch_optional(db).await?.map(User::try_from).transpose()
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> AppResult<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE kind = 'person' AND lower(email) = lower($1)");
    sqlx::query_as::<_, UserRecord>(&q).bind(email).fetch_optional(db).await?.map(User::try_from).transpose()
}

/// The user and their password hash (none for someone who only signs in through the identity
/// provider), for sign-in.
pub async fn credentials(db: impl PgExecutor<'_>, email: &str) -> AppResult<Option<(User, Option<String>)>> {
    let q = format!("SELECT {COLUMNS}, password_hash FROM users WHERE kind = 'person' AND lower(email) = lower($1)");
    let row = sqlx::query(&q).bind(email).fetch_optional(db).await?;
    row.map(|r| {
        let hash: Option<String> = r.try_get("password_hash")?;
        let user = UserRecord {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            name: r.try_get("name")?,
            role: r.try_get("role")?,
            time_zone: r.try_get("time_zone")?,
            team: r.try_get("team")?,
            active: r.try_get("active")?,
        };
        Ok((User::try_from(user)?, hash))
    })
    .transpose()
}

pub async fn first_by_name(db: impl PgExecutor<'_>, limit: i64) -> AppResult<Vec<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE kind = 'person' ORDER BY name, id LIMIT $1");
    sqlx::query_as::<_, UserRecord>(&q).bind(limit).fetch_all(db).await?.into_iter().map(User::try_from).collect()
}

/// Up to `limit` users after id `after`, by id, and how many there are in all.
pub async fn page(conn: &mut sqlx::PgConnection, after: i64, limit: i64) -> AppResult<(Vec<User>, i64)> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE kind = 'person' AND id > $1 ORDER BY id LIMIT $2");
    let rows = sqlx::query_as::<_, UserRecord>(&q).bind(after).bind(limit).fetch_all(&mut *conn).await?;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE kind = 'person'").fetch_one(&mut *conn).await?;
    Ok((rows.into_iter().map(User::try_from).collect::<AppResult<_>>()?, total))
}

/// People whose name or email contains `q` (case-insensitive), exact matches first; with
/// `writers_only`, only those who may write (role holders, owners).
pub async fn search(db: impl PgExecutor<'_>, q: &str, limit: i64, writers_only: bool) -> AppResult<Vec<User>> {
    let query = format!(
        "SELECT {COLUMNS} FROM users
         WHERE kind = 'person' AND (strpos(lower(name), lower($1)) > 0 OR strpos(lower(email), lower($1)) > 0)
           AND (NOT $3 OR (role <> 'reader' AND active))
         ORDER BY (lower(email) = lower($1) OR lower(name) = lower($1)) DESC, name, id LIMIT $2"
    );
    let rows = sqlx::query_as::<_, UserRecord>(&query).bind(q).bind(limit).bind(writers_only).fetch_all(db).await?;
    rows.into_iter().map(User::try_from).collect()
}

pub async fn refs(db: impl PgExecutor<'_>) -> AppResult<Vec<UserRef>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM users WHERE kind = 'person' ORDER BY name, id").fetch_all(db).await?;
    Ok(rows.into_iter().map(|(id, name)| UserRef { id, name }).collect())
}

/// Everyone who may write (not readers): who can review, own an action item, and so on.
pub async fn writers(db: impl PgExecutor<'_>) -> AppResult<Vec<UserRef>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM users WHERE kind = 'person' AND role <> 'reader' AND active ORDER BY name, id",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, name)| UserRef { id, name }).collect())
}

/// Inserts a user; a taken email is a field error, not a crash.
pub async fn insert(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
    role: UserRole,
    password_hash: &str,
    time_zone: &str,
    team: &str,
) -> AppResult<User> {
    let q = format!(
        "INSERT INTO users (email, name, role, password_hash, time_zone, team) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING {COLUMNS}"
    );
    sqlx::query_as::<_, UserRecord>(&q)
        .bind(email)
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(time_zone)
        .bind(team)
        .fetch_one(db)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                AppError::invalid("email", "A user with this email already exists")
            }
            _ => e.into(),
        })
        .and_then(User::try_from)
}

pub async fn set_time_zone(db: impl PgExecutor<'_>, id: i64, tz: &str) -> AppResult<()> {
    sqlx::query("UPDATE users SET time_zone = $2 WHERE id = $1").bind(id).bind(tz).execute(db).await?;
    Ok(())
}

pub async fn set_role(db: impl PgExecutor<'_>, id: i64, role: UserRole) -> AppResult<()> {
    sqlx::query("UPDATE users SET role = $2 WHERE id = $1").bind(id).bind(role.as_str()).execute(db).await?;
    Ok(())
}

pub async fn set_active(db: impl PgExecutor<'_>, id: i64, active: bool) -> AppResult<()> {
    sqlx::query("UPDATE users SET active = $2 WHERE id = $1").bind(id).bind(active).execute(db).await?;
    Ok(())
}

pub async fn set_password_hash(db: impl PgExecutor<'_>, id: i64, hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1").bind(id).bind(hash).execute(db).await?;
    Ok(())
}

/// The user's password hash: `None` when there is no such user, `Some(None)` when they have no password.
pub async fn password_hash(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Option<String>>> {
    Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE kind = 'person' AND id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// The person the identity provider knows by `(issuer, subject)`.
pub async fn by_sso(db: impl PgExecutor<'_>, issuer: &str, subject: &str) -> AppResult<Option<User>> {
    let q = format!(
        "SELECT {COLUMNS} FROM users WHERE kind = 'person' AND sso_issuer = $1 AND sso_subject = $2 FOR UPDATE"
    );
    sqlx::query_as::<_, UserRecord>(&q)
        .bind(issuer)
        .bind(subject)
        .fetch_optional(db)
        .await?
        .map(User::try_from)
        .transpose()
}

/// The provider identity an account is linked to, if any: `(issuer, subject)`.
pub async fn sso_identity(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<(String, String)>> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT sso_issuer, sso_subject FROM users WHERE kind = 'person' AND id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(i, s)| i.zip(s)))
}

/// Links an account to the provider's identity and takes the name it gives.
pub async fn link_sso(db: impl PgExecutor<'_>, id: i64, issuer: &str, subject: &str, name: &str) -> AppResult<()> {
    sqlx::query("UPDATE users SET sso_issuer = $2, sso_subject = $3, name = $4 WHERE id = $1")
        .bind(id)
        .bind(issuer)
        .bind(subject)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// A person's first sign-in through the provider: an account without a password.
pub async fn insert_sso(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
    role: UserRole,
    issuer: &str,
    subject: &str,
) -> AppResult<User> {
    let q = format!(
        "INSERT INTO users (email, name, role, password_hash, sso_issuer, sso_subject) VALUES ($1, $2, $3, NULL, $4, $5)
         RETURNING {COLUMNS}"
    );
    sqlx::query_as::<_, UserRecord>(&q)
        .bind(email)
        .bind(name)
        .bind(role.as_str())
        .bind(issuer)
        .bind(subject)
        .fetch_one(db)
        .await
        .map_err(AppError::from)
        .and_then(User::try_from)
}

/// Locks a user found by email (case-insensitive) until the transaction ends.
pub async fn lock_by_email(db: impl PgExecutor<'_>, email: &str) -> AppResult<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE kind = 'person' AND lower(email) = lower($1) FOR UPDATE");
    sqlx::query_as::<_, UserRecord>(&q).bind(email).fetch_optional(db).await?.map(User::try_from).transpose()
}

/// The active admins' ids, locked until the transaction ends: two admins demoting each other at
/// once cannot leave nobody in charge.
pub async fn lock_active_admins(db: impl PgExecutor<'_>) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE kind = 'person' AND role = 'admin' AND active ORDER BY id FOR UPDATE",
    )
    .fetch_all(db)
    .await?)
}

/// Locks one user's row until the transaction ends and returns it.
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE kind = 'person' AND id = $1 FOR UPDATE");
    sqlx::query_as::<_, UserRecord>(&q).bind(id).fetch_optional(db).await?.map(User::try_from).transpose()
}

pub async fn set_team(db: impl PgExecutor<'_>, id: i64, team: &str) -> AppResult<()> {
    sqlx::query("UPDATE users SET team = $2 WHERE id = $1").bind(id).bind(team).execute(db).await?;
    Ok(())
}

/// The teams people are in, for filter choices.
pub async fn teams(db: impl PgExecutor<'_>) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT team FROM users WHERE kind = 'person' AND team <> '' ORDER BY team")
        .fetch_all(db)
        .await?)
}

/// Holds, until the transaction ends, the sign-in bookkeeping of one account and one client address,
/// so that attempts racing on other instances count each other. Accounts and addresses have separate
/// key spaces; a lock is always taken account first, so two attempts cannot wait on each other.
pub async fn lock_sign_in(db: impl PgExecutor<'_>, email: &str, address: Option<&str>) -> AppResult<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('debrief:sign-in:email'), hashtext($1)),
                pg_advisory_xact_lock(hashtext('debrief:sign-in:address'), hashtext($2))",
    )
    .bind(email)
    .bind(address)
    .execute(db)
    .await?;
    Ok(())
}

/// The database's clock and the newest failures within the last `window_secs`: at most `email_limit`
/// for the account and `address_limit` for the address (none when the address is unknown).
pub struct SignInFailures {
    pub now: chrono::DateTime<chrono::Utc>,
    pub by_email: Vec<chrono::DateTime<chrono::Utc>>,
    pub by_address: Vec<chrono::DateTime<chrono::Utc>>,
}

pub async fn recent_sign_in_failures(
    db: impl PgExecutor<'_>,
    email: &str,
    address: Option<&str>,
    window_secs: i64,
    email_limit: i64,
    address_limit: i64,
) -> AppResult<SignInFailures> {
    let (now, by_email, by_address) = sqlx::query_as(
        "SELECT now(),
            ARRAY(SELECT failed_at FROM sign_in_failures
                  WHERE email = $1 AND failed_at > now() - make_interval(secs => $3)
                  ORDER BY failed_at DESC LIMIT $4),
            ARRAY(SELECT failed_at FROM sign_in_failures
                  WHERE address = $2 AND failed_at > now() - make_interval(secs => $3)
                  ORDER BY failed_at DESC LIMIT $5)",
    )
    .bind(email)
    .bind(address)
    .bind(window_secs as f64)
    .bind(email_limit)
    .bind(address_limit)
    .fetch_one(db)
    .await?;
    Ok(SignInFailures { now, by_email, by_address })
}

/// Records a failed (or not yet checked) sign-in, and deletes every failure older than the window,
/// so the table holds one window's worth at most.
pub async fn record_sign_in_failure(
    conn: &mut sqlx::PgConnection,
    email: &str,
    address: Option<&str>,
    window_secs: i64,
) -> AppResult<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE failed_at <= now() - make_interval(secs => $1)")
        .bind(window_secs as f64)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO sign_in_failures (email, address) VALUES ($1, $2)")
        .bind(email)
        .bind(address)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets an account's failures (after it signed in).
pub async fn clear_sign_in_failures(db: impl PgExecutor<'_>, email: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email = $1").bind(email).execute(db).await?;
    Ok(())
}

pub async fn email_reminders(db: impl PgExecutor<'_>, id: i64) -> AppResult<bool> {
    Ok(sqlx::query_scalar("SELECT email_reminders FROM users WHERE id = $1").bind(id).fetch_one(db).await?)
}

pub async fn set_email_reminders(db: impl PgExecutor<'_>, id: i64, on: bool) -> AppResult<()> {
    sqlx::query("UPDATE users SET email_reminders = $2 WHERE id = $1").bind(id).bind(on).execute(db).await?;
    Ok(())
}
