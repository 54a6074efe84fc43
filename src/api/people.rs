//! Server functions for one's own account (password, tokens, sessions), the admins' changes to
//! accounts, password reset links and the audit log. Thin, like every other.

use crate::domain::accounts::{AuditEntry, SignIn, Token};
use crate::domain::paging::Page;
use crate::domain::Stamp;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::accounts};

/// A token with its instants as the reader reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub token: Token,
    pub created: Stamp,
    pub last_used: Option<Stamp>,
    pub expires: Option<Stamp>,
    pub usable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInRow {
    pub sign_in: SignIn,
    pub started: Stamp,
    pub last_seen: Stamp,
}

/// The profile page's data in one call (so the shown-once secret is read exactly once): the user,
/// one's tokens, where one is signed in, and a secret made just
/// now (shown once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Security {
    pub user: crate::domain::User,
    pub tokens: Vec<TokenRow>,
    pub sign_ins: Vec<SignInRow>,
    pub new_secret: Option<(String, String)>,
    /// Whether one gets the morning reminder mail.
    pub email_reminders: bool,
}

#[cfg(feature = "ssr")]
pub(crate) fn token_row(user: &crate::domain::User, token: Token) -> TokenRow {
    use crate::domain::time::{stamp, zone};
    let tz = zone(user);
    TokenRow {
        created: stamp(token.created_at, tz),
        last_used: token.last_used_at.map(|t| stamp(t, tz)),
        expires: token.expires_at.map(|t| stamp(t, tz)),
        usable: token.is_usable(chrono::Utc::now()),
        token,
    }
}

#[server]
pub async fn my_security() -> Result<Security, AppError> {
    use crate::domain::time::{stamp, zone};
    let (state, user) = ctx::user().await?;
    let session = ctx::session().await?;
    let tokens = accounts::list_tokens(&state.pool, &user, &Default::default()).await?.items;
    let tz = zone(&user);
    let sign_ins = accounts::sign_ins(&state.pool, &session, &user).await?;
    let sign_ins = sign_ins
        .into_iter()
        .map(|s| SignInRow { started: stamp(s.started_at, tz), last_seen: stamp(s.last_seen_at, tz), sign_in: s })
        .collect();
    let new_secret = accounts::take_secret(&session, "token").await?.map(|s| (s.what, s.value));
    let tokens = tokens.into_iter().map(|t| token_row(&user, t)).collect();
    let email_reminders = accounts::email_reminders(&state.pool, &user).await?;
    Ok(Security { user, tokens, sign_ins, new_secret, email_reminders })
}

#[server]
pub async fn create_api_token(name: String, scope: String, expires_at: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let req = accounts::TokenRequest { name: name.clone(), scope: scope.clone(), expires_at: expires_at.clone() };
    let made = accounts::create_token(&state.pool, &user, &req).await.map_err(|e| {
        e.with_values([("name", name.as_str()), ("scope", &scope), ("expires_at", expires_at.as_deref().unwrap_or(""))])
    })?;
    let what = format!("API token \u{201c}{}\u{201d}", made.name);
    let secret = accounts::Secret { kind: "token".into(), what, value: made.token };
    accounts::keep_secret(&ctx::session().await?, secret).await
}

/// The library's feed link: a new feed-only token in the feed's address.
#[server]
pub async fn create_feed_link() -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let url = accounts::create_feed_link(&state.pool, &user).await?;
    accounts::keep_secret(
        &ctx::session().await?,
        accounts::Secret { kind: "feed".into(), what: "Your feed link".into(), value: url },
    )
    .await
}

#[server]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    accounts::revoke_token(&state.pool, &user, id).await.map(|_| ())
}

#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let session = ctx::session().await?;
    accounts::change_password(&state.pool, &session, &user, &current_password, &new_password, confirm.as_deref()).await
}

#[server]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    let (state, user) = ctx::user().await?;
    accounts::end_other_sign_ins(&state.pool, &ctx::session().await?, &user).await
}

/// An admin's role change (`role`) or deactivation (`active` = "false") / reactivation ("true").
#[server]
pub async fn change_user(user_id: i64, role: Option<String>, active: Option<String>) -> Result<(), AppError> {
    let (state, admin) = ctx::user().await?;
    let active = match active.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => return Err(AppError::invalid("active", format!("{other:?} is not true or false"))),
    };
    let change = accounts::UserChange { role: role.clone(), active };
    accounts::change_user(&state.pool, &admin, user_id, &change)
        .await
        .map(|_| ())
        .map_err(|e| e.with_values([("role", role.as_deref().unwrap_or(""))]))
}

#[server]
pub async fn create_reset_link(user_id: i64) -> Result<(), AppError> {
    let (state, admin) = ctx::user().await?;
    let link = accounts::create_reset_link(&state.pool, &admin, user_id).await?;
    let secret = accounts::Secret { kind: "reset".into(), what: "Reset link".into(), value: link };
    accounts::keep_secret(&ctx::session().await?, secret).await
}

/// A secret of `kind` ("reset", "feed") made just now on the page asking, shown once.
#[server]
pub async fn take_new_secret(kind: String) -> Result<Option<(String, String)>, AppError> {
    let _ = ctx::user().await?;
    Ok(accounts::take_secret(&ctx::session().await?, &kind).await?.map(|s| (s.what, s.value)))
}

/// Whether a reset link still works (the reset page asks before showing its form).
#[server]
pub async fn check_reset_link(secret: String) -> Result<(), AppError> {
    accounts::check_reset_link(&ctx::state()?.pool, &secret).await
}

#[server]
pub async fn reset_password(secret: String, new_password: String, confirm: Option<String>) -> Result<(), AppError> {
    let state = ctx::state()?;
    accounts::reset_password(&state.pool, &secret, &new_password, confirm.as_deref(), &ctx::client().await).await?;
    leptos_axum::redirect("/login?reset=done");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub entry: AuditEntry,
    pub at: Stamp,
}

/// A page of the audit log, filtered as the page's GET form typed it.
#[server]
pub async fn audit_log(
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
) -> Result<Page<AuditRow>, AppError> {
    let (state, admin) = ctx::user().await?;
    let p = crate::server::audit::Params { actor, action, object, from, to, cursor, limit: None };
    let tz = crate::domain::time::zone(&admin);
    let page = crate::server::audit::list(&state.pool, &admin, &p).await?;
    Ok(page.map(|entry| AuditRow { at: crate::domain::time::stamp(entry.at, tz), entry }))
}

/// Everyone's tokens, for the admins' Users page.
#[server]
pub async fn all_tokens() -> Result<Vec<TokenRow>, AppError> {
    let (state, admin) = ctx::user().await?;
    let all = accounts::TokenListParams { all: Some(true), limit: Some("200".into()), cursor: None };
    let page = accounts::list_tokens(&state.pool, &admin, &all).await?;
    Ok(page.items.into_iter().map(|t| token_row(&admin, t)).collect())
}
