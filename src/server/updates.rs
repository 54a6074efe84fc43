//! Stakeholder updates: posted by responders, read at the top of the incident page and on its
//! timeline. Each is one transaction: the update, its timeline event and the live notification.

use super::access;
use super::db::{self, timeline::Change};
use super::outbox::Told;
use crate::domain::notify::NotifyEvent;
use crate::domain::paging::Page;
use crate::domain::time::{stamp, zone};
use crate::domain::validate::{self, check, non_empty, FieldErrors};
use crate::domain::{EventKind, IncidentStatus, LatestUpdate, StakeholderUpdate, User};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use serde::Deserialize;
use sqlx::PgPool;

/// An update as typed: `next_update_at` is RFC 3339 or minutes from now.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateInput {
    #[schema(required, min_length = 1, example = "Payments are failing for some customers; we are rolling back")]
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub next_update_at: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn post(pool: &PgPool, user: &User, incident_id: i64, input: &UpdateInput) -> AppResult<StakeholderUpdate> {
    access::require_writer(user)?;
    let now = Utc::now();
    let mut errs = FieldErrors::new();
    let message = check(&mut errs, "message", validate::update_message(&input.message));
    let impact = check(&mut errs, "impact", validate::impact(input.impact.as_deref().unwrap_or("")));
    let next = match non_empty(&input.next_update_at) {
        None => Some(None),
        Some(s) => check(&mut errs, "next_update_at", validate::next_update(s, now)).map(Some),
    };
    let mut tx = pool.begin().await?;
    access::see_incident(&mut *tx, user, incident_id).await?;
    let (status, _, _) =
        db::incidents::lock(&mut *tx, incident_id).await?.ok_or_else(|| access::no_incident(incident_id))?;
    let (Some(message), Some(impact), Some(next)) = (message, impact, next) else {
        return Err(AppError::fields(errs));
    };
    if status == IncidentStatus::Closed {
        return Err(AppError::invalid("message", "This incident is closed: updates are for incidents still going on"));
    }
    let id = db::updates::insert(&mut *tx, incident_id, user.id, &message, &impact, next).await?;
    let body = format!("{} posted an update: {message}", user.name);
    super::incidents::record(&mut tx, incident_id, user, EventKind::Update, &body, Change::NONE, now).await?;
    let incident = super::incidents::load(&mut *tx, incident_id).await?;
    let told = Told {
        event: NotifyEvent::UpdatePosted,
        what: "update".into(),
        detail: told_detail(&message, &impact, next),
        path: None,
        actor: user,
    };
    super::outbox::tell(&mut tx, &incident, [told]).await?;
    db::incidents::notify(&mut *tx, incident_id, "update").await?;
    let update =
        db::updates::by_id(&mut *tx, id).await?.ok_or_else(|| crate::error::internal("the new update vanished"))?;
    tx.commit().await?;
    Ok(update)
}

/// An update as destinations read it: the message, the impact and when the next one comes (UTC, as
/// a shared channel has readers in every zone).
fn told_detail(message: &str, impact: &str, next: Option<chrono::DateTime<Utc>>) -> String {
    let mut out = message.to_string();
    if !impact.is_empty() {
        out.push_str(&format!("\n\nImpact: {impact}"));
    }
    if let Some(t) = next {
        out.push_str(&format!("\n\nNext update by {}", t.format("%Y-%m-%d %H:%M UTC")));
    }
    out
}

/// A page of an incident's updates, newest first (`cursor` is the id a page ended at).
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn list(
    pool: &PgPool,
    viewer: &User,
    incident_id: i64,
    cursor: &Option<String>,
    limit: &Option<String>,
) -> AppResult<Page<StakeholderUpdate>> {
    let (before, limit) = super::accounts::id_cursor(cursor, limit)?;
    let mut conn = pool.acquire().await?;
    access::see_incident(&mut *conn, viewer, incident_id).await?;
    let (rows, total) = db::updates::page(&mut conn, incident_id, before, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, total, |u| u.id.to_string()))
}

/// The newest update for the incident page, on the page's connection (access already decided).
pub(super) async fn latest_on(
    conn: &mut sqlx::PgConnection,
    viewer: &User,
    incident_id: i64,
    open: bool,
) -> AppResult<Option<LatestUpdate>> {
    let tz = zone(viewer);
    let now = Utc::now();
    Ok(db::updates::latest(&mut *conn, incident_id).await?.map(|u| LatestUpdate {
        posted: stamp(u.created_at, tz),
        next: u.next_update_at.map(|t| stamp(t, tz)),
        overdue: open && u.next_update_at.is_some_and(|t| t < now),
        update: u,
    }))
}
