//! Sessions: the cookie's session holds only the id of a `sign_ins` row, so a sign-in can be ended
//! from anywhere (*Your sessions*, deactivation, a password reset) and the next request sees it.

use super::Client;
use crate::domain::accounts::{session_alive, AuditAction, SignIn};
use crate::domain::User;
use crate::error::{internal, AppError, AppResult};
use crate::server::audit::{self, Object};
use crate::server::{db, live};
use sqlx::PgPool;
use tower_sessions::Session;

const SIGN_IN_KEY: &str = "sign_in";

fn random_id() -> String {
    let mut bytes = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}

/// Signs `user` in on this browser: a new session id and a new sign-in row.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn start_session(pool: &PgPool, session: &Session, mut user: User, client: &Client) -> AppResult<User> {
    let id = random_id();
    let agent: String = client.user_agent.chars().take(300).collect();
    let address = client.address_text();
    db::sign_ins::insert(pool, &id, user.id, address.as_deref(), &agent).await?;
    session.cycle_id().await.map_err(internal)?;
    session.insert(SIGN_IN_KEY, &id).await.map_err(internal)?;
    user.origin.address = address;
    Ok(user)
}

pub(super) async fn current_sign_in(session: &Session) -> AppResult<Option<String>> {
    session.get(SIGN_IN_KEY).await.map_err(|e| {
        tracing::warn!(error = %e, "session store unavailable");
        AppError::Unavailable(crate::error::DB_UNAVAILABLE.into())
    })
}

/// Ends this browser's sign-in (recorded in the audit log when someone was signed in).
#[tracing::instrument(skip_all)]
pub async fn sign_out(pool: &PgPool, session: &Session, client: &Client) -> AppResult<()> {
    if let Some(id) = current_sign_in(session).await? {
        if let Some((mut user, _)) = db::sign_ins::user_of(pool, &id).await? {
            user.origin.address = client.address_text();
            audit::record(pool, &user, AuditAction::SignOut, Object::user(&user), None).await?;
        }
        db::sign_ins::end(pool, &id).await?;
    }
    session.flush().await.map_err(internal)
}

/// The signed-in user, or Unauthorized (SetupRequired when there are no users at all). A sign-in
/// that was ended, is older than the absolute lifetime, or whose user was deactivated is over.
#[tracing::instrument(skip_all)]
pub async fn session_user(pool: &PgPool, session: &Session, client: &Client) -> AppResult<User> {
    if let Some(id) = current_sign_in(session).await? {
        match db::sign_ins::user_of(pool, &id).await? {
            Some((mut user, started)) if session_alive(started, chrono::Utc::now()) => {
                user.origin.address = client.address_text();
                return Ok(user);
            }
            Some(_) => db::sign_ins::end(pool, &id).await?,
            None => {}
        }
    }
    if super::needs_setup(pool).await? {
        return Err(AppError::SetupRequired);
    }
    Err(AppError::Unauthorized)
}

/// Where `user` is signed in, this browser marked.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn sign_ins(pool: &PgPool, session: &Session, user: &User) -> AppResult<Vec<SignIn>> {
    let current = current_sign_in(session).await?;
    let mut all = db::sign_ins::open(pool, user.id).await?;
    for s in &mut all {
        s.current = current.as_deref() == Some(s.id.as_str());
    }
    Ok(all)
}

/// Signs `user` out everywhere but here; how many sign-ins ended.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn end_other_sign_ins(pool: &PgPool, session: &Session, user: &User) -> AppResult<u64> {
    let current = current_sign_in(session).await?;
    let mut tx = pool.begin().await?;
    let ended = db::sign_ins::end_all(&mut *tx, user.id, current.as_deref()).await?;
    let change = serde_json::json!({ "ended": ended });
    audit::record(&mut *tx, user, AuditAction::SessionsEnded, Object::user(user), Some(change)).await?;
    live::notify_signed_out(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(ended)
}

const SECRET_KEY: &str = "new_secret";

/// A secret just made (a token, a reset or feed link), kept in the session until the page that
/// shows it once reads it: it never travels in an address, with or without JavaScript.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Secret {
    /// Which page shows it: "token", "reset" or "feed".
    pub kind: String,
    /// What it is, as the page says it ("API token “CI”", "Reset link for Grace Hopper").
    pub what: String,
    pub value: String,
}

pub async fn keep_secret(session: &Session, secret: Secret) -> AppResult<()> {
    session.insert(SECRET_KEY, secret).await.map_err(internal)
}

/// The secret of this `kind` kept for this browser, removed as it is read.
pub async fn take_secret(session: &Session, kind: &str) -> AppResult<Option<Secret>> {
    let kept: Option<Secret> = session.get(SECRET_KEY).await.map_err(internal)?;
    match kept {
        Some(s) if s.kind == kind => {
            session.remove_value(SECRET_KEY).await.map_err(internal)?;
            Ok(Some(s))
        }
        _ => Ok(None),
    }
}
