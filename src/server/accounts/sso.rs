//! The account side of single sign-on: finding, linking or creating the person the identity provider
//! vouched for, and whether local passwords are still accepted. The protocol itself (discovery, PKCE,
//! the ID token's checks) is in `server::sso`.

use super::Client;
use crate::domain::accounts::AuditAction;
use crate::domain::sso::{SsoProblem, SsoRules};
use crate::domain::validate;
use crate::domain::User;
use crate::error::{AppError, AppResult};
use crate::server::audit::{self, change, Object};
use crate::server::{access, db};
use sqlx::PgPool;
use tower_sessions::Session;

const LOCAL_PASSWORDS: &str = "local_passwords";

/// What the provider's verified ID token says about the person.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

pub async fn local_passwords_on(pool: &PgPool) -> AppResult<bool> {
    Ok(db::postmortems::setting(pool, LOCAL_PASSWORDS).await?.as_deref() != Some("off"))
}

/// The refusal of a password sign-in while passwords are off.
pub(super) async fn local_passwords_refused(pool: &PgPool) -> AppResult<Option<AppError>> {
    Ok((!local_passwords_on(pool).await?)
        .then(|| AppError::invalid("password", "Passwords are turned off here: sign in with single sign-on instead")))
}

/// Admins turn local passwords off (only once single sign-on is set up) or on again. The command
/// line (`debrief local-passwords on`) can always turn them back on.
#[tracing::instrument(skip_all, fields(admin = admin.map(|a| a.id)))]
pub async fn set_local_passwords(pool: &PgPool, admin: Option<&User>, on: bool, sso_configured: bool) -> AppResult<()> {
    if let Some(a) = admin {
        access::require_admin(a)?;
    }
    if !on && !sso_configured {
        return Err(AppError::invalid(
            "local_passwords",
            "Set up single sign-on first (DEBRIEF_OIDC_ISSUER), or nobody could sign in",
        ));
    }
    let before = local_passwords_on(pool).await?;
    let mut tx = pool.begin().await?;
    db::postmortems::set_setting(&mut *tx, LOCAL_PASSWORDS, if on { "on" } else { "off" }).await?;
    if let (Some(a), true) = (admin, before != on) {
        let diff = change(LOCAL_PASSWORDS, before, on);
        audit::record(&mut *tx, a, AuditAction::SettingsChanged, Object::setting(LOCAL_PASSWORDS), Some(diff)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Signs in the person the provider vouched for: found by their provider identity, else linked to the
/// local account with the same (verified) email, else created. Their name follows the provider; their
/// role follows their groups when the operator mapped groups to roles.
#[tracing::instrument(skip_all)]
pub async fn sso_sign_in(
    pool: &PgPool,
    session: &Session,
    rules: &SsoRules,
    id: Identity,
    client: &Client,
) -> AppResult<Result<User, SsoProblem>> {
    let Ok(email) = validate::email(&id.email) else { return Ok(Err(SsoProblem::NoEmail)) };
    if !id.email_verified {
        return Ok(Err(SsoProblem::EmailUnverified));
    }
    if !rules.email_allowed(&email) {
        return Ok(Err(SsoProblem::DomainNotAllowed));
    }
    let name = id.name.as_deref().and_then(|n| validate::person_name(n).ok()).unwrap_or_else(|| email.clone());
    let role = rules.role_for(&id.groups);
    let mut tx = pool.begin().await?;
    let existing = match db::users::by_sso(&mut *tx, &id.issuer, &id.subject).await? {
        Some(u) => Some(u),
        None => match db::users::lock_by_email(&mut *tx, &email).await? {
            // Linked to another identity already: an email that moved between people at the
            // provider must not hand over the account.
            Some(u) if db::users::sso_identity(&mut *tx, u.id).await?.is_some() => {
                return Ok(Err(SsoProblem::LinkedElsewhere));
            }
            found => found,
        },
    };
    let (mut user, created) = match existing {
        Some(u) if !u.active => return Ok(Err(SsoProblem::Deactivated)),
        Some(u) => {
            db::users::link_sso(&mut *tx, u.id, &id.issuer, &id.subject, &name).await?;
            (u, false)
        }
        None => {
            let role = role.unwrap_or(rules.default_role);
            let u = db::users::insert_sso(&mut *tx, &email, &name, role, &id.issuer, &id.subject).await?;
            (u, true)
        }
    };
    user.origin.address = client.address_text();
    if created {
        let diff = serde_json::json!({ "role": user.role, "via": "single sign-on" });
        audit::record(&mut *tx, &user, AuditAction::UserCreated, Object::user(&user), Some(diff)).await?;
    } else if let Some(role) = role.filter(|r| *r != user.role) {
        // The last active admin stays one, whatever the groups say (someone must be able to fix them).
        let admins = db::users::lock_active_admins(&mut *tx).await?;
        if !(user.is_admin() && admins == [user.id]) {
            db::users::set_role(&mut *tx, user.id, role).await?;
            let diff = change("role", user.role, role);
            audit::record(&mut *tx, &user, AuditAction::UserRoleChanged, Object::user(&user), Some(diff)).await?;
            user.role = role;
        }
    }
    tx.commit().await?;
    user.name = name;
    let user = super::start_session(pool, session, user, client).await?;
    let how = serde_json::json!({ "method": "single sign-on" });
    audit::record(pool, &user, AuditAction::SignInSucceeded, Object::user(&user), Some(how)).await?;
    Ok(Ok(user))
}
