//! Reading and correcting an incident's moments (see `domain::milestones`).

use super::{access, db};
use crate::domain::milestones::{Milestones, Moment};
use crate::domain::time::{parse_occurred_at, zone};
use crate::domain::validate::{self, check, FieldErrors};
use crate::domain::User;
use crate::error::{AppError, AppResult};
use chrono::Utc;
use serde::Deserialize;
use sqlx::PgPool;

/// A correction as typed: `at` is RFC 3339, or a `datetime-local` value in the corrector's zone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CorrectionInput {
    #[serde(default)]
    #[schema(required, example = "2026-11-23T06:02:00Z")]
    pub at: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 2000, example = "The first customer report came in at 06:02")]
    pub reason: String,
}

pub async fn of(pool: &PgPool, viewer: &User, id: i64) -> AppResult<Milestones> {
    let mut conn = pool.acquire().await?;
    access::see_incident(&mut *conn, viewer, id).await?;
    db::milestones::of(&mut *conn, id).await
}

/// Sets `moment` by hand. Refused with a message on `at` when it would break the order of the
/// moments, or lies in the future; nothing is written then.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn correct(
    pool: &PgPool,
    user: &User,
    id: i64,
    moment: &str,
    input: &CorrectionInput,
) -> AppResult<Milestones> {
    access::require_writer(user)?;
    let now = Utc::now();
    let mut errs = FieldErrors::new();
    let moment: Option<Moment> = check(&mut errs, "moment", moment.parse());
    let at = check(&mut errs, "at", parse_occurred_at(&input.at, zone(user), now));
    let reason = check(&mut errs, "reason", validate::correction_reason(&input.reason));
    let mut tx = pool.begin().await?;
    access::see_incident(&mut *tx, user, id).await?;
    db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| AppError::no_incident(crate::domain::incident_ref(id)))?;
    let (Some(moment), Some(at), Some(reason)) = (moment, at, reason) else {
        return Err(AppError::fields(errs));
    };
    let current = db::milestones::of(&mut *tx, id).await?;
    current.check_order(moment, at).map_err(|m| AppError::invalid("at", m))?;
    db::milestones::insert_correction(&mut *tx, id, moment, at, user.id, &reason).await?;
    db::incidents::notify(&mut *tx, id, "milestones").await?;
    tx.commit().await?;
    db::milestones::of(pool, id).await
}
