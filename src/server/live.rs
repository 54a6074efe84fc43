//! Live updates across app instances: every write NOTIFYs `debrief_live` in its transaction; each
//! instance LISTENs once and fans the notifications out to its Server-Sent Events subscribers.

use super::db;
use crate::domain::User;
use crate::error::AppResult;
use futures::Stream;
use serde::Deserialize;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::broadcast;

pub const CHANNEL: &str = "debrief_live";

#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub incident_id: i64,
    pub what: String,
    /// Set for "signed_out": that user's streams end.
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// Ends every open live stream of `user_id`, on every instance, when the transaction commits
/// (deactivation, signing out elsewhere). Streams of the user's other sign-ins reconnect and are
/// asked to sign in again; the current browser's reconnects as before.
pub async fn notify_signed_out(tx: &mut sqlx::PgConnection, user_id: i64) -> AppResult<()> {
    db::incidents::notify_signed_out(tx, user_id).await
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

/// One incident's changes as `viewer` may see them, as the words the notifier used ("note",
/// "role", …; "lagged" when some were missed). Access is checked when the stream opens and again at
/// every change, so someone removed from a private incident stops receiving at once.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, id))]
pub async fn incident_changes(
    pool: &PgPool,
    live: &Live,
    viewer: User,
    id: i64,
) -> AppResult<impl Stream<Item = String> + Send + 'static> {
    super::access::see_incident(pool, &viewer, id).await?;
    let rx = live.subscribe();
    let pool = pool.clone();
    // Counted in the metrics until the stream is dropped (the client went, or it ended).
    let open = super::metrics::OpenStream::open();
    Ok(futures::stream::unfold((rx, pool, viewer, open), move |(mut rx, pool, viewer, open)| async move {
        loop {
            let what = match rx.recv().await {
                Ok(c) if c.what == "signed_out" && c.user_id == Some(viewer.id) => return None,
                Ok(c) if c.incident_id == id => c.what,
                Ok(_) => continue,
                // Missed some: tell the page to refresh anyway.
                Err(broadcast::error::RecvError::Lagged(_)) => "lagged".to_string(),
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            // A failed check ends the stream too: the page reconnects and is asked again.
            if !db::incidents::visible(&pool, id, Some(viewer.id)).await.unwrap_or(false) {
                return None;
            }
            return Some((what, (rx, pool, viewer, open)));
        }
    }))
}
