//! Live updates across app instances: every write NOTIFYs `debrief_live` in its transaction; each
//! instance LISTENs once and fans the notifications out to its Server-Sent Events subscribers.

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

pub const CHANNEL: &str = "debrief_live";

#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub incident_id: i64,
    pub what: String,
}

#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<Change>,
}

impl Live {
    /// Starts the listener task. It reconnects by itself when the database goes away.
    pub fn start(pool: PgPool) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let live = Live { tx };
        let sender = live.tx.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&pool, &sender).await {
                    tracing::warn!(error = %e, "live listener lost its connection; retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        live
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

async fn listen(pool: &PgPool, sender: &broadcast::Sender<Change>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Surface a dropped connection as an error (so we log it) instead of silently reconnecting.
    listener.ignore_pool_close_event(false);
    listener.listen(CHANNEL).await?;
    loop {
        let n = listener.recv().await?;
        match serde_json::from_str::<Change>(n.payload()) {
            Ok(change) => {
                // No subscribers is fine.
                let _ = sender.send(change);
            }
            Err(e) => tracing::warn!(error = %e, payload = n.payload(), "bad live notification"),
        }
    }
}

/// `GET /live/incidents/{id}`: an SSE stream of "changed" events for one incident (signed-in users).
pub async fn incident_stream(
    State(state): State<super::AppState>,
    session: tower_sessions::Session,
    Path(id): Path<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, crate::error::AppError> {
    super::accounts::session_user(&state.pool, &session).await?;
    let rx = state.live.subscribe();
    let stream = futures::stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(c) if c.incident_id == id => {
                    return Some((Ok(Event::default().event("changed").data(c.what)), rx));
                }
                Ok(_) => continue,
                // Missed some: tell the page to refresh anyway.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some((Ok(Event::default().event("changed").data("lagged")), rx));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
