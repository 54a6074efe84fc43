//! API tokens: named, scoped (read, write, or the feed only), optionally expiring, revocable. Only a
//! SHA-256 of a token is stored, so the answer that creates one is the only time it is seen.

use crate::domain::accounts::{AuditAction, NewToken, Token, TokenScope};
use crate::domain::paging::Page;
use crate::domain::time::parse_bound;
use crate::domain::validate::{check, FieldErrors};
use crate::domain::User;
use crate::error::{AppError, AppResult};
use crate::server::audit::{self, Object};
use crate::server::db;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("dbf_{}", hex::encode(bytes))
}

/// What a person asks for, as typed (form or JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    #[schema(value_type = crate::domain::accounts::TokenScope)]
    pub scope: String,
    /// RFC 3339 or a day (`2027-01-31`: the token works through that day, UTC); none for no expiry.
    pub expires_at: Option<String>,
}

fn validate(req: &TokenRequest, now: DateTime<Utc>) -> AppResult<(String, TokenScope, Option<DateTime<Utc>>)> {
    let mut errs = FieldErrors::new();
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        errs.insert(
            "name".into(),
            "Name the token (at most 80 characters), for example \u{201c}CI deploys\u{201d}".into(),
        );
    }
    let scope = check(&mut errs, "scope", req.scope.parse::<TokenScope>());
    let expires = match req.expires_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match parse_bound(s, true) {
            Ok(t) if t <= now => {
                errs.insert("expires_at".into(), "The expiry must be in the future".into());
                None
            }
            r => check(&mut errs, "expires_at", r),
        },
    };
    match scope {
        Some(scope) if errs.is_empty() => Ok((name.to_string(), scope, expires)),
        _ => Err(AppError::fields(errs)),
    }
}

/// `user` creates a token for themselves.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn create_token(pool: &PgPool, user: &User, req: &TokenRequest) -> AppResult<NewToken> {
    let (name, scope, expires_at) = validate(req, Utc::now())?;
    let token = new_secret();
    let mut tx = pool.begin().await?;
    let id = db::tokens::insert(&mut *tx, user.id, &name, scope, expires_at, &token_hash(&token)).await?;
    let change = serde_json::json!({ "scope": scope, "expires_at": expires_at, "user_id": user.id });
    audit::record(&mut *tx, user, AuditAction::TokenCreated, Object::token(id, &name), Some(change)).await?;
    tx.commit().await?;
    Ok(NewToken { id, name, scope, expires_at, token })
}

/// The command line's way in: a token for the user with this email.
#[tracing::instrument(skip_all)]
pub async fn create_token_for(pool: &PgPool, email: &str, req: &TokenRequest) -> AppResult<NewToken> {
    let user = db::users::by_email(pool, email).await?.ok_or_else(|| AppError::invalid("email", "No such user"))?;
    if !user.active {
        return Err(AppError::invalid("email", format!("{} has been deactivated", user.name)));
    }
    create_token(pool, &user, req).await
}

/// Which tokens: one's own, or with `all` everyone's (admins only); a page at a time.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenListParams {
    pub all: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// A page of tokens, newest first.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn list_tokens(pool: &PgPool, user: &User, p: &TokenListParams) -> AppResult<Page<Token>> {
    let all = p.all.unwrap_or(false);
    if all {
        crate::server::access::require_admin(user)?;
    }
    let (before, limit) = super::id_cursor(&p.cursor, &p.limit)?;
    let mut conn = pool.acquire().await?;
    let (rows, total) = db::tokens::page(&mut conn, (!all).then_some(user.id), before, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, total, |t| t.id.to_string()))
}

/// Revokes one of one's own tokens (admins: anyone's). Someone else's is a 404, as if it did not exist.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn revoke_token(pool: &PgPool, user: &User, id: i64) -> AppResult<Token> {
    let missing = || AppError::NotFound(format!("No API token {id}"));
    let mut tx = pool.begin().await?;
    let token = db::tokens::by_id(&mut *tx, id).await?.ok_or_else(missing)?;
    if token.user.id != user.id && !user.is_admin() {
        return Err(missing());
    }
    if db::tokens::revoke(&mut *tx, id).await? {
        let change = serde_json::json!({ "user_id": token.user.id });
        audit::record(&mut *tx, user, AuditAction::TokenRevoked, Object::token(id, &token.name), Some(change)).await?;
    }
    let token = db::tokens::by_id(&mut *tx, id).await?.ok_or_else(missing)?;
    tx.commit().await?;
    Ok(token)
}

/// The holder of a token, with the token in `origin`; a revoked or expired token, or one whose
/// holder was deactivated, is refused with the reason.
#[tracing::instrument(skip_all)]
pub async fn token_user(pool: &PgPool, token: &str) -> AppResult<User> {
    let unknown = || AppError::TokenRefused("That API token is not valid".into());
    let (mut user, token) = db::tokens::by_hash(pool, &token_hash(token.trim())).await?.ok_or_else(unknown)?;
    if token.revoked_at.is_some() {
        return Err(AppError::TokenRefused("That API token has been revoked".into()));
    }
    if !token.is_usable(Utc::now()) {
        return Err(AppError::TokenRefused("That API token has expired: create a new one on your profile page".into()));
    }
    if !user.active {
        return Err(AppError::TokenRefused("The account of that API token has been deactivated".into()));
    }
    user.origin.token = Some((token.id, token.scope));
    Ok(user)
}

/// A new feed-only token for `user`, in the feed's full address (for a feed reader).
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn create_feed_link(pool: &PgPool, user: &User) -> AppResult<String> {
    let req = TokenRequest { name: "Feed reader".into(), scope: "feed".into(), expires_at: None };
    let made = create_token(pool, user, &req).await?;
    let base = crate::server::webhook::settings(pool).await?.public_url;
    Ok(format!("{}/library/feed.xml?token={}", base.trim_end_matches('/'), made.token))
}

/// The holder of a feed token; any other token is refused, however much it may do.
#[tracing::instrument(skip_all)]
pub async fn feed_user(pool: &PgPool, token: &str) -> AppResult<User> {
    let user = token_user(pool, token).await?;
    match user.origin.token {
        Some((_, TokenScope::Feed)) => Ok(user),
        _ => Err(AppError::TokenRefused(
            "Only a feed token works in the feed's address: copy the feed link from the library page".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: &str, scope: &str, expires: Option<&str>) -> TokenRequest {
        TokenRequest { name: name.into(), scope: scope.into(), expires_at: expires.map(Into::into) }
    }

    #[test]
    fn token_requests_are_checked_field_by_field() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().to_utc();
        let (name, scope, exp) = validate(&req(" CI ", "read", Some("2026-12-31")), now).unwrap();
        assert_eq!((name.as_str(), scope), ("CI", TokenScope::Read));
        assert_eq!(exp.unwrap().to_rfc3339(), "2027-01-01T00:00:00+00:00");
        let e = validate(&req("", "admin", Some("2026-11-30")), now).unwrap_err();
        assert!(e.field("name").is_some() && e.field("scope").is_some(), "{e:?}");
        assert!(e.field("expires_at").unwrap().contains("future"), "{e:?}");
        assert!(validate(&req("x", "write", Some("soon")), now).unwrap_err().field("expires_at").is_some());
    }
}
