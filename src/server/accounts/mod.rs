//! Accounts: the first admin, users, passwords and sign-in. Sessions, tokens and what admins do to
//! accounts (roles, deactivation, reset links) have their own files.

mod lifecycle;
mod sessions;
mod sso;
mod tokens;

pub use lifecycle::*;
pub use sessions::*;
pub use sso::*;
pub use tokens::*;

use super::audit::{self, Object};
use super::db;
use crate::domain::accounts::AuditAction;
use crate::domain::time::parse_zone;
use crate::domain::validate::{self, check, FieldErrors};
use crate::domain::{User, UserRole};
use crate::error::{internal, AppError, AppResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use std::net::IpAddr;
use std::sync::LazyLock;
use tokio::sync::Semaphore;
use tower_sessions::Session;

/// The browser or program a request came from, for sign-ins and the audit log.
#[derive(Debug, Default, Clone)]
pub struct Client {
    pub address: Option<IpAddr>,
    pub user_agent: String,
}

impl Client {
    /// From the connection's address (when the server has connect info) and the request's headers.
    pub fn new(address: Option<IpAddr>, headers: &axum::http::HeaderMap) -> Self {
        let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Client { address, user_agent: agent.to_string() }
    }

    pub fn address_text(&self) -> Option<String> {
        self.address.map(|a| a.to_canonical().to_string())
    }
}

/// How many Argon2 computations (19 MiB each) run at once in this process. A flood of sign-ins waits
/// here for its turn instead of filling the blocking pool (512 threads) and the memory.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    Semaphore::new(2 * cores)
});

/// Argon2 is deliberately slow: run it off the async workers, a bounded number at a time.
async fn argon2<T: Send + 'static>(work: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    let _turn = HASHING.acquire().await.map_err(internal)?;
    tokio::task::spawn_blocking(work).await.map_err(internal)?
}

#[tracing::instrument(skip_all)]
pub async fn hash_password(password: String) -> AppResult<String> {
    argon2(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(internal)
    })
    .await
}

pub(super) async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    argon2(move || {
        let parsed = PasswordHash::new(&hash).map_err(internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
}

/// At most `failures` failed sign-ins within any `window`.
#[derive(Clone, Copy)]
struct Limit {
    failures: usize,
    window: TimeDelta,
}

/// Per account (whoever tries it): guessing one password is slow.
const PER_ACCOUNT: Limit = Limit { failures: 5, window: TimeDelta::minutes(15) };
/// Per client address (across accounts): one client cannot try many accounts.
const PER_ADDRESS: Limit = Limit { failures: 20, window: TimeDelta::minutes(15) };

impl Limit {
    /// Seconds until one more attempt is allowed under this limit, or `None` if it is allowed now.
    /// `failures` are the newest ones (any order); those older than the window no longer count, so
    /// the wait ends when the `self.failures`-th newest leaves the window.
    fn wait(self, failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<u64> {
        let mut recent: Vec<DateTime<Utc>> = failures.iter().copied().filter(|t| *t > now - self.window).collect();
        if recent.len() < self.failures {
            return None;
        }
        recent.sort_unstable_by(|a, b| b.cmp(a));
        let ms = (recent[self.failures - 1] + self.window - now).num_milliseconds();
        Some((ms.max(0) as u64).div_ceil(1000).max(1))
    }
}

/// The account as the throttle knows it: what the user typed, trimmed and lower-cased (bounded, as an
/// attacker chooses it).
fn account_key(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

/// The client as the throttle knows it: its address, or for IPv6 its /64, which one subscriber
/// usually holds whole.
fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Counts this attempt as a failure before the password is checked (a success clears it), unless the
/// account or the address already has too many: then it is refused without hashing anything. The
/// count and the record happen under a lock shared by every instance, so parallel attempts cannot
/// all slip in under the limit.
async fn admit_sign_in(pool: &PgPool, account: &str, address: Option<&str>) -> AppResult<()> {
    let window = PER_ACCOUNT.window.max(PER_ADDRESS.window).num_seconds();
    let mut tx = pool.begin().await?;
    db::users::lock_sign_in(&mut *tx, account, address).await?;
    let recent = db::users::recent_sign_in_failures(
        &mut *tx,
        account,
        address,
        window,
        PER_ACCOUNT.failures as i64,
        PER_ADDRESS.failures as i64,
    )
    .await?;
    let wait = PER_ACCOUNT.wait(&recent.by_email, recent.now).max(PER_ADDRESS.wait(&recent.by_address, recent.now));
    if let Some(secs) = wait {
        tx.rollback().await?;
        return Err(AppError::TooManyRequests {
            message: format!("Too many sign-in attempts. Try again in {secs} s."),
            retry_after_secs: secs,
        });
    }
    db::users::record_sign_in_failure(&mut tx, account, address, window).await?;
    tx.commit().await?;
    Ok(())
}

/// A zone name from the browser, if it is one we know; otherwise UTC.
fn clean_zone(tz: Option<&str>) -> String {
    tz.and_then(|t| parse_zone(t).ok()).map(|t| t.name().to_string()).unwrap_or_else(|| "UTC".into())
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password: &'a str,
    pub time_zone: Option<&'a str>,
    pub team: Option<&'a str>,
}

#[tracing::instrument(skip_all)]
pub async fn create_user(pool: &PgPool, n: NewUser<'_>) -> AppResult<User> {
    let mut errs = FieldErrors::new();
    let email = check(&mut errs, "email", validate::email(n.email));
    let name = check(&mut errs, "name", validate::person_name(n.name));
    let role: Option<UserRole> = check(&mut errs, "role", n.role.parse());
    let team = check(&mut errs, "team", validate::team(n.team.unwrap_or("")));
    check(&mut errs, "password", validate::password(n.password));
    let (Some(email), Some(name), Some(role), Some(team), true) = (email, name, role, team, errs.is_empty()) else {
        return Err(AppError::fields(errs));
    };
    let hash = hash_password(n.password.to_string()).await?;
    db::users::insert(pool, &email, &name, role, &hash, &clean_zone(n.time_zone), &team).await
}

/// An admin adds someone.
#[tracing::instrument(skip_all, fields(admin = admin.id))]
pub async fn add_user(pool: &PgPool, admin: &User, n: NewUser<'_>) -> AppResult<User> {
    super::access::require_admin(admin)?;
    let user = create_user(pool, n).await?;
    let change = serde_json::json!({ "role": user.role });
    audit::record(pool, admin, AuditAction::UserCreated, Object::user(&user), Some(change)).await?;
    Ok(user)
}

/// A list's `cursor` (the id a page ended at) and `limit`, each checked.
pub(crate) fn id_cursor(cursor: &Option<String>, limit: &Option<String>) -> AppResult<(Option<i64>, i64)> {
    let mut errs = FieldErrors::new();
    let limit = check(&mut errs, "limit", crate::domain::paging::limit(limit.as_deref()));
    let cursor = match cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => check(
            &mut errs,
            "cursor",
            c.parse::<i64>().map_err(|_| "That page link is not valid: start from the first page".to_string()),
        ),
    };
    match limit {
        Some(limit) if errs.is_empty() => Ok((cursor, limit)),
        _ => Err(AppError::fields(errs)),
    }
}

/// A page of users by id, for the API (`cursor`, `limit`). Admins only.
#[tracing::instrument(skip_all, fields(admin = admin.id))]
pub async fn users_page(
    pool: &PgPool,
    admin: &User,
    cursor: &Option<String>,
    limit: &Option<String>,
) -> AppResult<crate::domain::paging::Page<User>> {
    super::access::require_admin(admin)?;
    let (after, limit) = id_cursor(cursor, limit)?;
    let mut conn = pool.acquire().await?;
    let (rows, total) = db::users::page(&mut conn, after.unwrap_or(0), limit + 1).await?;
    Ok(crate::domain::paging::Page::from_rows(rows, limit, total, |u| u.id.to_string()))
}

/// How many people the admins' Users page lists at once; beyond that, they search.
pub const USERS_SHOWN: i64 = 200;

/// The admins' Users page: people whose name or email contains `q`, or the first `USERS_SHOWN` by
/// name; and how many people there are in all.
#[tracing::instrument(skip_all, fields(admin = admin.id))]
pub async fn list_users(pool: &PgPool, admin: &User, q: Option<&str>) -> AppResult<(Vec<User>, i64)> {
    super::access::require_admin(admin)?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    let q = q.map(validate::query).transpose().map_err(|m| AppError::invalid("q", m))?;
    let mut conn = pool.acquire().await?;
    let shown = match q.as_deref() {
        Some(q) => db::users::search(&mut *conn, q, USERS_SHOWN, false).await?,
        None => db::users::first_by_name(&mut *conn, USERS_SHOWN).await?,
    };
    Ok((shown, db::users::count(&mut *conn).await?))
}

/// Creates the first admin; refused once any user exists. An advisory lock makes two racing
/// first visits produce one admin.
#[tracing::instrument(skip_all)]
pub async fn create_first_admin(pool: &PgPool, n: NewUser<'_>) -> AppResult<User> {
    let mut tx = pool.begin().await?;
    db::advisory_lock(&mut tx, "first-admin").await?;
    if db::users::count(&mut *tx).await? > 0 {
        return Err(AppError::Forbidden("Debrief is already set up: sign in instead".into()));
    }
    let user = create_user(pool, NewUser { role: "admin", ..n }).await?;
    tx.commit().await?;
    Ok(user)
}

#[tracing::instrument(skip_all)]
pub async fn needs_setup(pool: &PgPool) -> AppResult<bool> {
    Ok(db::users::count(pool).await? == 0)
}

/// Checks the password, then starts a sign-in (the session id rotates: a pre-login id cannot be
/// reused). Throttled per account and per client address; see `admit_sign_in`. Every checked
/// attempt is in the audit log, never with the password.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    pool: &PgPool,
    session: &Session,
    email: &str,
    password: &str,
    client: &Client,
) -> AppResult<User> {
    let bad = || AppError::invalid("password", "That email and password do not match an account");
    let account = account_key(email);
    let address = client.address_text();
    admit_sign_in(pool, &account, client.address.map(address_key).as_deref()).await?;
    let failed = |reason: &'static str| {
        let address = address.clone();
        let account = account.clone();
        async move {
            let entry =
                audit::record_anonymous(pool, address.as_deref(), AuditAction::SignInFailed, Object::account(&account));
            entry.await?;
            tracing::info!(reason, "sign-in refused");
            AppResult::Ok(())
        }
    };
    // No account has such a password or email, and hashing a megabyte would cost for nothing.
    if password.chars().count() > validate::PASSWORD_MAX || email.len() > 254 {
        failed("too long").await?;
        return Err(bad());
    }
    let Some((user, hash)) = db::users::credentials(pool, email.trim()).await? else {
        // Spend the same time as a real check so timing does not reveal which emails exist.
        let _ = hash_password(password.to_string()).await;
        failed("unknown account").await?;
        return Err(bad());
    };
    if let Some(problem) = local_passwords_refused(pool).await? {
        failed("passwords off").await?;
        return Err(problem);
    }
    let Some(hash) = hash else {
        let _ = hash_password(password.to_string()).await;
        failed("no password (single sign-on only)").await?;
        return Err(bad());
    };
    if !verify_password(password.to_string(), hash).await? {
        failed("wrong password").await?;
        return Err(bad());
    }
    // Said only to whoever knows the password.
    if !user.active {
        failed("deactivated").await?;
        return Err(AppError::invalid(
            "email",
            "This account has been deactivated. Ask an admin if you need it again.",
        ));
    }
    db::users::clear_sign_in_failures(pool, &account).await?;
    let user = start_session(pool, session, user, client).await?;
    audit::record(pool, &user, AuditAction::SignInSucceeded, Object::user(&user), None).await?;
    Ok(user)
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn set_time_zone(pool: &PgPool, user: &User, tz: &str) -> AppResult<()> {
    let tz = parse_zone(tz).map_err(|m| AppError::invalid("time_zone", m))?;
    db::users::set_time_zone(pool, user.id, tz.name()).await
}

/// An admin puts someone in a team (empty for none).
#[tracing::instrument(skip_all, fields(admin = admin.id, user_id))]
pub async fn set_team(pool: &PgPool, admin: &User, user_id: i64, team: &str) -> AppResult<()> {
    super::access::require_admin(admin)?;
    let team = validate::team(team).map_err(|m| AppError::invalid("team", m))?;
    db::users::by_id(pool, user_id).await?.ok_or_else(|| AppError::no_user(user_id))?;
    db::users::set_team(pool, user_id, &team).await
}

/// One's own time zone, team and whether to get reminder mail; the first two checked together so
/// the form shows both problems at once.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn save_profile(pool: &PgPool, user: &User, tz: &str, team: &str, reminders: bool) -> AppResult<()> {
    let mut errs = FieldErrors::new();
    let tz = check(&mut errs, "time_zone", parse_zone(tz));
    let team = check(&mut errs, "team", validate::team(team));
    let (Some(tz), Some(team)) = (tz, team) else {
        return Err(AppError::fields(errs));
    };
    let mut tx = pool.begin().await?;
    db::users::set_time_zone(&mut *tx, user.id, tz.name()).await?;
    db::users::set_team(&mut *tx, user.id, &team).await?;
    db::users::set_email_reminders(&mut *tx, user.id, reminders).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `user` gets the morning reminder mail (an unsubscribe link turns it off).
pub async fn email_reminders(pool: &PgPool, user: &User) -> AppResult<bool> {
    db::users::email_reminders(pool, user.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), h.clone()).await.unwrap());
        assert!(!verify_password("wrong".into(), h).await.unwrap());
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn under_the_limit_is_allowed() {
        let limit = Limit { failures: 3, window: TimeDelta::seconds(900) };
        assert_eq!(limit.wait(&[], at(0)), None);
        assert_eq!(limit.wait(&[at(-10), at(-5)], at(0)), None);
    }

    #[test]
    fn the_wait_ends_when_the_oldest_counted_failure_leaves_the_window() {
        let limit = Limit { failures: 3, window: TimeDelta::seconds(900) };
        // Three failures 100, 50 and 10 s ago: the one 100 s ago leaves the window in 800 s.
        assert_eq!(limit.wait(&[at(-10), at(-100), at(-50)], at(0)), Some(800));
        // With five, it is the third newest (50 s ago) that must go.
        assert_eq!(limit.wait(&[at(-10), at(-100), at(-50), at(-20), at(-300)], at(0)), Some(850));
        // Sliding: a failure that left the window does not count.
        assert_eq!(limit.wait(&[at(-10), at(-50), at(-900)], at(0)), None);
        assert_eq!(limit.wait(&[at(-10), at(-50), at(-899)], at(0)), Some(1));
    }

    #[test]
    fn the_wait_is_whole_seconds_rounded_up_and_never_zero() {
        let limit = Limit { failures: 1, window: TimeDelta::seconds(60) };
        let now = at(0) + TimeDelta::milliseconds(1);
        assert_eq!(limit.wait(&[at(0)], now), Some(60), "59.999 s rounds up");
        assert_eq!(limit.wait(&[at(0) + TimeDelta::milliseconds(2)], now), Some(61), "a clock a little behind");
    }

    #[test]
    fn real_limits_are_five_per_account_and_twenty_per_address_in_fifteen_minutes() {
        let five: Vec<_> = (1..=5).map(|i| at(-i * 60)).collect();
        assert_eq!(PER_ACCOUNT.wait(&five[..4], at(0)), None);
        assert_eq!(PER_ACCOUNT.wait(&five, at(0)), Some(600));
        let twenty: Vec<_> = (1..=20).map(|i| at(-i * 10)).collect();
        assert_eq!(PER_ADDRESS.wait(&twenty[..19], at(0)), None);
        assert_eq!(PER_ADDRESS.wait(&twenty, at(0)), Some(700));
    }

    #[test]
    fn throttle_keys() {
        assert_eq!(account_key("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(account_key(&"a".repeat(5000)).len(), 320);
        assert_eq!(address_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd".parse().unwrap()), "2001:db8:1:2::/64");
        assert_eq!(
            address_key("2001:db8:1:2::1".parse().unwrap()),
            address_key("2001:db8:1:2:ffff::9".parse().unwrap())
        );
    }

    #[test]
    fn zones_fall_back_to_utc() {
        assert_eq!(clean_zone(Some("Europe/Paris")), "Europe/Paris");
        assert_eq!(clean_zone(Some("nowhere")), "UTC");
        assert_eq!(clean_zone(None), "UTC");
    }
}
