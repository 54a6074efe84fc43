//! Who may see and do what. Every operation in `server::` asks here before it reads or writes.
//!
//! Which incidents a user may see is one rule, the SQL function `incident_visible` (migration
//! 0009): list queries filter with it directly, and single reads go through `see_incident`, so a
//! private incident is a 404 everywhere to those who may not see it, exactly as if it did not exist.

use super::db;
use crate::domain::{incident_ref, Incident, User};
use crate::error::{AppError, AppResult};
use sqlx::PgExecutor;

/// Readers may look but not change anything.
pub fn require_writer(user: &User) -> AppResult<()> {
    if user.can_write() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Readers can read incidents and postmortems but not change them".into()))
    }
}

pub fn require_admin(user: &User) -> AppResult<()> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only admins can do this".into()))
    }
}

/// The same answer as for an incident that does not exist.
pub fn no_incident(id: i64) -> AppError {
    AppError::no_incident(incident_ref(id))
}

/// Ok when `viewer` may see the incident; otherwise the 404 of a missing incident.
pub async fn see_incident(db: impl PgExecutor<'_>, viewer: &User, id: i64) -> AppResult<()> {
    if db::incidents::visible(db, id, Some(viewer.id)).await? {
        Ok(())
    } else {
        Err(no_incident(id))
    }
}

/// Making an incident private or public and choosing its participants: its commander and admins.
pub fn manage_access(user: &User, incident: &Incident) -> AppResult<()> {
    if incident.may_manage_access(user) {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only the incident commander and admins can change who may see this incident".into()))
    }
}

/// Someone about to be given a role or an action item: readers only read.
pub fn require_can_take_work(person: &User, what: &str) -> Result<(), String> {
    if !person.active {
        Err(format!("{} has been deactivated and cannot {what}", person.name))
    } else if person.can_write() {
        Ok(())
    } else {
        Err(format!("{} is a reader and cannot {what}", person.name))
    }
}
