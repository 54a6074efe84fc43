//! What happens to an account after it is made: role changes, deactivation and reactivation,
//! password changes and one-time reset links. Each is one transaction with its audit entry.

use super::{hash_password, verify_password};
use crate::domain::accounts::{reset_link_problem, AuditAction, RESET_LINK_LIFETIME};
use crate::domain::validate::{self, check, FieldErrors};
use crate::domain::{User, UserRole};
use crate::error::{AppError, AppResult};
use crate::server::audit::{self, change, Object};
use crate::server::{access, db, live};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// An admin's change to someone, as typed: each field is optional (`PATCH /api/v1/users/{id}`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct UserChange {
    pub role: Option<String>,
    pub active: Option<bool>,
}

/// Changes a role and/or deactivates or reactivates. The last active admin can be neither demoted
/// nor deactivated. Deactivation ends every sign-in and live stream at once; tokens stop working
/// because they check the holder is active.
#[tracing::instrument(skip_all, fields(admin = admin.id, user_id))]
pub async fn change_user(pool: &PgPool, admin: &User, user_id: i64, c: &UserChange) -> AppResult<User> {
    access::require_admin(admin)?;
    let role: Option<UserRole> = match c.role.as_deref() {
        Some(r) => Some(r.parse().map_err(|m: String| AppError::invalid("role", m))?),
        None => None,
    };
    let mut tx = pool.begin().await?;
    let admins = db::users::lock_active_admins(&mut *tx).await?;
    let before = db::users::lock(&mut *tx, user_id).await?.ok_or_else(|| AppError::no_user(user_id))?;
    let role = role.filter(|r| *r != before.role);
    let active = c.active.filter(|a| *a != before.active);
    let stops_being_admin = before.is_admin() && before.active && (role.is_some() || active == Some(false));
    if stops_being_admin && admins == [before.id] {
        let field = if active == Some(false) { "active" } else { "role" };
        return Err(AppError::invalid(
            field,
            "Debrief needs at least one active admin: make someone else an admin first",
        ));
    }
    if let Some(role) = role {
        db::users::set_role(&mut *tx, user_id, role).await?;
        let diff = change("role", before.role, role);
        audit::record(&mut *tx, admin, AuditAction::UserRoleChanged, Object::user(&before), Some(diff)).await?;
    }
    if let Some(active) = active {
        db::users::set_active(&mut *tx, user_id, active).await?;
        let action = if active { AuditAction::UserReactivated } else { AuditAction::UserDeactivated };
        let mut diff = change("active", before.active, active);
        if !active {
            let ended = db::sign_ins::end_all(&mut *tx, user_id, None).await?;
            diff["sign_ins_ended"] = ended.into();
            live::notify_signed_out(&mut tx, user_id).await?;
        }
        audit::record(&mut *tx, admin, action, Object::user(&before), Some(diff)).await?;
    }
    let after = db::users::by_id(&mut *tx, user_id).await?.ok_or_else(|| AppError::no_user(user_id))?;
    tx.commit().await?;
    Ok(after)
}

fn check_new_password(errs: &mut FieldErrors, new: &str, confirm: Option<&str>) {
    if check(errs, "new_password", validate::password(new)).is_some() && confirm.is_some_and(|c| c != new) {
        errs.insert("confirm".into(), "The two new passwords differ".into());
    }
}

/// One's own password: the current one is required. Other sign-ins end (whoever knew the old
/// password is signed out); this one stays.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn change_password(
    pool: &PgPool,
    session: &tower_sessions::Session,
    user: &User,
    current: &str,
    new: &str,
    confirm: Option<&str>,
) -> AppResult<()> {
    let mut errs = FieldErrors::new();
    check_new_password(&mut errs, new, confirm);
    match db::users::password_hash(pool, user.id).await?.ok_or_else(|| AppError::no_user(user.id))? {
        None => {
            errs.insert(
                "current_password".into(),
                "You sign in through single sign-on and have no password here to change".into(),
            );
        }
        Some(hash) => {
            if current.chars().count() > validate::PASSWORD_MAX || !verify_password(current.to_string(), hash).await? {
                errs.insert("current_password".into(), "That is not your current password".into());
            }
        }
    }
    if !errs.is_empty() {
        return Err(AppError::fields(errs));
    }
    let hash = hash_password(new.to_string()).await?;
    let keep = super::sessions::current_sign_in(session).await?;
    let mut tx = pool.begin().await?;
    db::users::set_password_hash(&mut *tx, user.id, &hash).await?;
    let ended = db::sign_ins::end_all(&mut *tx, user.id, keep.as_deref()).await?;
    let diff = serde_json::json!({ "sign_ins_ended": ended });
    audit::record(&mut *tx, user, AuditAction::PasswordChanged, Object::user(user), Some(diff)).await?;
    tx.commit().await?;
    Ok(())
}

fn reset_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// An admin makes a one-time reset link for someone: the address to hand them
/// (`<public URL>/reset/<secret>`), valid for an hour. Only its hash is stored.
#[tracing::instrument(skip_all, fields(admin = admin.id, user_id))]
pub async fn create_reset_link(pool: &PgPool, admin: &User, user_id: i64) -> AppResult<String> {
    access::require_admin(admin)?;
    if !super::local_passwords_on(pool).await? {
        return Err(AppError::invalid("user", "Passwords are turned off: people sign in with single sign-on"));
    }
    let mut tx = pool.begin().await?;
    let user = db::users::by_id(&mut *tx, user_id).await?.ok_or_else(|| AppError::no_user(user_id))?;
    if !user.active {
        return Err(AppError::invalid("user", format!("{} has been deactivated: reactivate them first", user.name)));
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let secret = hex::encode(bytes);
    let expires = chrono::Utc::now() + RESET_LINK_LIFETIME;
    db::sign_ins::insert_reset(&mut *tx, user_id, &reset_hash(&secret), admin.id, expires).await?;
    let diff = serde_json::json!({ "expires_at": expires });
    audit::record(&mut *tx, admin, AuditAction::ResetLinkCreated, Object::user(&user), Some(diff)).await?;
    tx.commit().await?;
    let base = crate::server::webhook::settings(pool).await?.public_url;
    Ok(format!("{}/reset/{secret}", base.trim_end_matches('/')))
}

/// Whether a reset link still works, before the form is shown: the problem's message if not.
#[tracing::instrument(skip_all)]
pub async fn check_reset_link(pool: &PgPool, secret: &str) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let res = usable_reset(&mut tx, secret).await.map(|_| ());
    tx.rollback().await?;
    res
}

async fn usable_reset(tx: &mut sqlx::PgConnection, secret: &str) -> AppResult<(i64, User)> {
    let gone = |m: &str| AppError::invalid("link", m);
    let Some((id, user_id, created, used)) = db::sign_ins::lock_reset(&mut *tx, &reset_hash(secret.trim())).await?
    else {
        return Err(gone(
            "This reset link is not valid. Check that it was copied whole, or ask an admin for a new one.",
        ));
    };
    if let Some(problem) = reset_link_problem(created, used, chrono::Utc::now()) {
        return Err(gone(problem));
    }
    let user = db::users::by_id(&mut *tx, user_id).await?.ok_or_else(|| AppError::no_user(user_id))?;
    if !user.active {
        return Err(gone("This account has been deactivated."));
    }
    Ok((id, user))
}

/// Sets a new password through a reset link, once. Every sign-in of the account ends.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    pool: &PgPool,
    secret: &str,
    new: &str,
    confirm: Option<&str>,
    client: &super::Client,
) -> AppResult<User> {
    let mut errs = FieldErrors::new();
    check_new_password(&mut errs, new, confirm);
    if !errs.is_empty() {
        return Err(AppError::fields(errs));
    }
    let hash = hash_password(new.to_string()).await?;
    let mut tx = pool.begin().await?;
    // Locked: two uses of one link at once wait for each other, and the second finds it used.
    let (reset_id, mut user) = usable_reset(&mut tx, secret).await?;
    db::sign_ins::use_reset(&mut *tx, reset_id).await?;
    db::users::set_password_hash(&mut *tx, user.id, &hash).await?;
    let ended = db::sign_ins::end_all(&mut *tx, user.id, None).await?;
    live::notify_signed_out(&mut tx, user.id).await?;
    user.origin.address = client.address_text();
    let diff = serde_json::json!({ "sign_ins_ended": ended });
    audit::record(&mut *tx, &user, AuditAction::PasswordReset, Object::user(&user), Some(diff)).await?;
    tx.commit().await?;
    Ok(user)
}
