//! Server functions of the status page (readable signed out when an admin says so) and of its
//! settings page (the service catalogue). Thin: every decision is in `server::status`.

use crate::domain::status::{Service, StatusIncident, StatusPage};
use crate::domain::Stamp;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::status as ops};

/// An incident with its instants as the reader reads them (UTC when signed out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusIncidentView {
    pub incident: StatusIncident,
    pub declared: Stamp,
    pub resolved: Option<Stamp>,
    pub posted: Option<Stamp>,
    pub next: Option<Stamp>,
    /// "Next update by" has passed.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusData {
    pub page: StatusPage,
    pub generated: Stamp,
    pub open: Vec<StatusIncidentView>,
    pub resolved: Vec<StatusIncidentView>,
    pub signed_in: bool,
}

#[server]
pub async fn status_view() -> Result<StatusData, AppError> {
    use crate::domain::time::{stamp, zone};
    let (state, user) = ctx::maybe_user().await?;
    let page = ops::page(&state.pool, user.as_ref()).await?;
    let tz = user.as_ref().map(zone).unwrap_or(chrono_tz::Tz::UTC);
    let now = page.generated_at;
    let view = |i: &StatusIncident| StatusIncidentView {
        declared: stamp(i.declared_at, tz),
        resolved: i.resolved_at.map(|t| stamp(t, tz)),
        posted: i.latest_update.as_ref().map(|u| stamp(u.posted_at, tz)),
        next: i.latest_update.as_ref().and_then(|u| u.next_update_at).map(|t| stamp(t, tz)),
        overdue: i.latest_update.as_ref().and_then(|u| u.next_update_at).is_some_and(|t| t < now),
        incident: i.clone(),
    };
    Ok(StatusData {
        generated: stamp(now, tz),
        open: page.open.iter().map(view).collect(),
        resolved: page.resolved.iter().map(view).collect(),
        signed_in: user.is_some(),
        page,
    })
}

/// The settings page's data: whether the page is public, and the catalogue.
#[server]
pub async fn status_settings_view() -> Result<(bool, Vec<Service>), AppError> {
    let (state, user) = ctx::user().await?;
    crate::server::access::require_admin(&user)?;
    Ok((ops::is_public(&state.pool).await?, ops::services(&state.pool, &user).await?))
}

#[server]
pub async fn add_service(name: String, team: String, description: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let input = crate::domain::status::ServiceInput {
        name: name.clone(),
        team: team.clone(),
        description: description.clone(),
    };
    ops::add_service(&state.pool, &user, &input)
        .await
        .map(|_| ())
        .map_err(|e| e.with_values([("name", name.as_str()), ("team", &team), ("description", &description)]))
}

#[server]
pub async fn remove_service(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::remove_service(&state.pool, &user, id).await.map(|_| ())
}

/// The checkbox: present when ticked.
#[server]
pub async fn set_status_public(public: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::set_public(&state.pool, &user, public.is_some()).await.map(|_| ())
}
