//! Server functions of the Notifications settings page: destinations, their recent deliveries and
//! the test message. Thin: every decision is in `server::outbox`.

use crate::domain::notify::{Delivery, Destination};
use crate::domain::Stamp;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::accounts, crate::server::outbox as ops};

/// A delivery with its instants as the reader reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub delivery: Delivery,
    pub created: Stamp,
    pub next_attempt: Option<Stamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationRow {
    pub destination: Destination,
    pub created: Stamp,
    /// The newest few notifications; the API pages through all of them.
    pub recent: Vec<DeliveryRow>,
    pub total: i64,
}

/// The page's data in one call, so the signing secret made just now is read (and shown) exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsData {
    pub destinations: Vec<DestinationRow>,
    pub new_secret: Option<(String, String)>,
}

/// How many recent notifications the page shows per destination.
pub const RECENT: &str = "10";

#[server]
pub async fn notifications_view() -> Result<NotificationsData, AppError> {
    use crate::domain::time::{stamp, zone};
    let (state, user) = ctx::user().await?;
    let tz = zone(&user);
    let mut destinations = Vec::new();
    for d in ops::list(&state.pool, &user).await? {
        let page = ops::deliveries(&state.pool, &user, d.id, &None, &Some(RECENT.into())).await?;
        let recent = page
            .items
            .into_iter()
            .map(|delivery| DeliveryRow {
                created: stamp(delivery.created_at, tz),
                next_attempt: delivery.next_attempt_at.map(|t| stamp(t, tz)),
                delivery,
            })
            .collect();
        destinations.push(DestinationRow {
            created: stamp(d.created_at, tz),
            destination: d,
            recent,
            total: page.total,
        });
    }
    let new_secret = accounts::take_secret(&ctx::session().await?, "destination").await?.map(|s| (s.what, s.value));
    Ok(NotificationsData { destinations, new_secret })
}

/// `events` are the ticked boxes; the address is not sent back with an error (it is a secret, and
/// without JavaScript what was typed travels in the page's address).
#[server]
pub async fn create_destination(
    kind: String,
    name: String,
    url: String,
    events: Option<Vec<String>>,
    min_severity: String,
) -> Result<(), AppError> {
    use crate::domain::notify::DestinationInput;
    let (state, user) = ctx::user().await?;
    let events = events.unwrap_or_default();
    let input = DestinationInput {
        kind: kind.clone(),
        name: name.clone(),
        url,
        events: events.clone(),
        min_severity: Some(min_severity.clone()),
    };
    let ticked = events.join(",");
    let made = ops::create(&state.pool, &state.outbound, &user, &input).await.map_err(|e| {
        e.with_values([("kind", kind.as_str()), ("name", &name), ("events", &ticked), ("min_severity", &min_severity)])
    })?;
    if let Some(value) = made.secret {
        let what = format!("Signing secret of \u{201c}{}\u{201d}", made.destination.name);
        let secret = accounts::Secret { kind: "destination".into(), what, value };
        accounts::keep_secret(&ctx::session().await?, secret).await?;
    }
    Ok(())
}

#[server]
pub async fn remove_destination(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::remove(&state.pool, &user, id).await.map(|_| ())
}

#[server]
pub async fn test_destination(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::send_test(&state.pool, &user, id).await.map(|_| ())
}
