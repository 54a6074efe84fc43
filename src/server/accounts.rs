//! Accounts: the first admin, users, passwords, sessions and API tokens.

use super::db;
use crate::domain::time::parse_zone;
use crate::domain::validate::{self, check, FieldErrors};
use crate::domain::{User, UserRole};
use crate::error::{internal, AppError, AppResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tower_sessions::Session;

const USER_KEY: &str = "user_id";

/// Argon2 is deliberately slow: run it off the async workers.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(internal)
    })
    .await
    .map_err(internal)?
}

async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(internal)?
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
pub async fn add_user(pool: &PgPool, admin: &User, n: NewUser<'_>) -> AppResult<User> {
    super::access::require_admin(admin)?;
    create_user(pool, n).await
}

/// Everyone, for the admins' Users page.
pub async fn list_users(pool: &PgPool, admin: &User) -> AppResult<Vec<User>> {
    super::access::require_admin(admin)?;
    db::users::list(pool).await
}

/// Creates the first admin; refused once any user exists. An advisory lock makes two racing
/// first visits produce one admin.
pub async fn create_first_admin(pool: &PgPool, n: NewUser<'_>) -> AppResult<User> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('debrief:first-admin'))").execute(&mut *tx).await?;
    if db::users::count(&mut *tx).await? > 0 {
        return Err(AppError::Forbidden("Debrief is already set up: sign in instead".into()));
    }
    let user = create_user(pool, NewUser { role: "admin", ..n }).await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn needs_setup(pool: &PgPool) -> AppResult<bool> {
    Ok(db::users::count(pool).await? == 0)
}

/// Checks the password, then rotates the session id so a pre-login id cannot be reused (fixation).
pub async fn sign_in(pool: &PgPool, session: &Session, email: &str, password: &str) -> AppResult<User> {
    let bad = || AppError::invalid("password", "That email and password do not match an account");
    let Some((user, hash)) = db::users::credentials(pool, email.trim()).await? else {
        // Spend the same time as a real check so timing does not reveal which emails exist.
        let _ = hash_password(password.to_string()).await;
        return Err(bad());
    };
    if !verify_password(password.to_string(), hash).await? {
        return Err(bad());
    }
    start_session(session, &user).await?;
    Ok(user)
}

pub async fn start_session(session: &Session, user: &User) -> AppResult<()> {
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_KEY, user.id).await.map_err(internal)?;
    Ok(())
}

pub async fn sign_out(session: &Session) -> AppResult<()> {
    session.flush().await.map_err(internal)
}

/// The signed-in user, or Unauthorized (SetupRequired when there are no users at all).
pub async fn session_user(pool: &PgPool, session: &Session) -> AppResult<User> {
    let id: Option<i64> = session.get(USER_KEY).await.map_err(|e| {
        tracing::warn!(error = %e, "session store unavailable");
        AppError::Unavailable(crate::error::DB_UNAVAILABLE.into())
    })?;
    if let Some(id) = id {
        if let Some(user) = db::users::by_id(pool, id).await? {
            return Ok(user);
        }
    }
    if needs_setup(pool).await? {
        return Err(AppError::SetupRequired);
    }
    Err(AppError::Unauthorized)
}

pub async fn set_time_zone(pool: &PgPool, user: &User, tz: &str) -> AppResult<()> {
    let tz = parse_zone(tz).map_err(|m| AppError::invalid("time_zone", m))?;
    db::users::set_time_zone(pool, user.id, tz.name()).await
}

/// An admin puts someone in a team (empty for none).
pub async fn set_team(pool: &PgPool, admin: &User, user_id: i64, team: &str) -> AppResult<()> {
    super::access::require_admin(admin)?;
    let team = validate::team(team).map_err(|m| AppError::invalid("team", m))?;
    db::users::by_id(pool, user_id).await?.ok_or_else(|| AppError::NotFound(format!("There is no user {user_id}")))?;
    db::users::set_team(pool, user_id, &team).await
}

/// One's own time zone and team, checked together so the form shows both problems at once.
pub async fn save_profile(pool: &PgPool, user: &User, tz: &str, team: &str) -> AppResult<()> {
    let mut errs = FieldErrors::new();
    let tz = check(&mut errs, "time_zone", parse_zone(tz));
    let team = check(&mut errs, "team", validate::team(team));
    let (Some(tz), Some(team)) = (tz, team) else {
        return Err(AppError::fields(errs));
    };
    let mut tx = pool.begin().await?;
    db::users::set_time_zone(&mut *tx, user.id, tz.name()).await?;
    db::users::set_team(&mut *tx, user.id, &team).await?;
    tx.commit().await?;
    Ok(())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an API token; only its hash is stored, so this is the one time it is seen.
pub async fn create_token(pool: &PgPool, email: &str) -> AppResult<String> {
    let user = db::users::by_email(pool, email).await?.ok_or_else(|| AppError::invalid("email", "No such user"))?;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let token = format!("dbf_{}", hex::encode(bytes));
    db::users::insert_token(pool, user.id, &token_hash(&token)).await?;
    Ok(token)
}

pub async fn token_user(pool: &PgPool, token: &str) -> AppResult<User> {
    db::users::by_token(pool, &token_hash(token.trim())).await?.ok_or(AppError::Unauthorized)
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

    #[test]
    fn zones_fall_back_to_utc() {
        assert_eq!(clean_zone(Some("Europe/Paris")), "Europe/Paris");
        assert_eq!(clean_zone(Some("nowhere")), "UTC");
        assert_eq!(clean_zone(None), "UTC");
    }
}
