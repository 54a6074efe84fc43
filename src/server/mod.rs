//! The server side: every operation (access decided inside it), its SQL under `db/`, and the
//! services behind them. Only built with `ssr`. The wiring above every layer is `crate::startup`.

pub mod access;
pub mod accounts;
pub mod actions;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod charts;
pub mod config;
pub mod csrf;
pub mod db;
pub mod embedded_pg;
pub mod form_state;
pub mod headers;
pub mod incidents;
pub mod insights;
pub mod integrations;
pub mod live;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod milestones;
pub mod outbox;
pub mod people;
pub mod postmortems;
pub mod sso;
pub mod state;
pub mod status;
pub mod triage;
pub mod updates;
pub mod webhook;

pub use state::{AppState, RequestUser};

/// Whether the database answers, for the readiness probe.
pub async fn database_ready(pool: &sqlx::PgPool) -> bool {
    db::ping(pool).await.is_ok()
}
