//! `/metrics` in the Prometheus text format (the `metrics` crate and its Prometheus exporter):
//! requests by route, method and status, latency histograms by route, open incidents by severity and
//! status, live streams open, webhook deliveries by result, the outbox's backlog and the database pool.

use super::db;
use crate::domain::User;
use crate::error::{internal, AppResult};
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;
use std::sync::OnceLock;
use std::time::Instant;

const REQUESTS: &str = "debrief_http_requests_total";
const LATENCY: &str = "debrief_http_request_duration_seconds";
pub const LIVE_STREAMS: &str = "debrief_live_streams_open";
pub const DELIVERIES: &str = "debrief_webhook_deliveries_total";
pub const MAILS: &str = "debrief_mails_total";

/// Latency buckets in seconds: from a cached page to a slow export.
const BUCKETS: &[f64] = &[0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use (one per process, however many routers it builds).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets_for_metric(Matcher::Full(LATENCY.into()), BUCKETS);
            match builder.and_then(|b| b.install_recorder()) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are off: the recorder could not be installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder; the router calls it, so counting starts with the first request.
pub fn install() {
    handle();
}

/// The route as a label: the router's pattern (`/api/v1/incidents/{id}`), a server function by its
/// name, and anything unmatched as one value, so the label's values stay few.
fn route_label(req: &Request) -> String {
    let path = req.uri().path();
    if path.starts_with("/pkg/") {
        return "/pkg/{file}".into();
    }
    match req.extensions().get::<MatchedPath>().map(|m| m.as_str()) {
        Some(m) if m.contains("{*") => path.trim_end_matches(|c: char| c.is_ascii_digit()).to_string(),
        Some(m) => m.to_string(),
        None => "unmatched".into(),
    }
}

/// Counts and times every request.
pub async fn middleware(req: Request, next: Next) -> Response {
    let route = route_label(&req);
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status).increment(1);
    metrics::histogram!(LATENCY, "route" => route).record(started.elapsed().as_secs_f64());
    res
}

/// The scrape: admins only (by session, or an admin's API token for Prometheus). Gauges that come
/// from the database are read now.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn render(pool: &PgPool, user: &User) -> AppResult<String> {
    super::access::require_admin(user)?;
    let handle = handle().ok_or_else(|| internal("the metrics recorder is not installed"))?;
    let open = db::incidents::open_counts(pool).await?;
    for severity in crate::domain::Severity::ALL {
        for status in crate::domain::IncidentStatus::ALL.iter().filter(|s| s.is_open()) {
            let n = open.iter().find(|(sev, st, _)| sev == severity && st == status).map_or(0, |(_, _, n)| *n);
            metrics::gauge!("debrief_open_incidents", "severity" => severity.as_str(), "status" => status.as_str())
                .set(n as f64);
        }
    }
    let (waiting, given_up) = db::outbox::backlog(pool).await?;
    metrics::gauge!("debrief_outbox_notifications", "state" => "pending").set(waiting as f64);
    metrics::gauge!("debrief_outbox_notifications", "state" => "given_up").set(given_up as f64);
    let (size, idle) = (pool.size(), pool.num_idle() as u32);
    metrics::gauge!("debrief_db_pool_connections", "state" => "in_use").set(size.saturating_sub(idle) as f64);
    metrics::gauge!("debrief_db_pool_connections", "state" => "idle").set(idle as f64);
    handle.run_upkeep();
    Ok(handle.render())
}

/// Counts an open live stream while it lives.
pub struct OpenStream(());

impl OpenStream {
    pub fn open() -> Self {
        metrics::gauge!(LIVE_STREAMS).increment(1.0);
        OpenStream(())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!(LIVE_STREAMS).decrement(1.0);
    }
}
