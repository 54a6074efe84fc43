//! `/metrics` for Prometheus: admins only, requests by route and status, latency histograms, open
//! incidents by severity and status, and live streams.

use crate::common::{token_for, Account, TestApp};

use crate::support::{expect_error, read, Api};
use reqwest::StatusCode;
use sqlx::PgPool;

async fn scrape(app: &TestApp, token: &str) -> (StatusCode, String) {
    let res = reqwest::Client::new().get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The value of the one line that starts with `series` (a name and its labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

#[sqlx::test(migrations = "./migrations")]
async fn metrics_count_requests_incidents_and_streams_for_admins(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Queue backlog").await;
    api.get("/incidents").await;
    expect_error(&api.get("/incidents/999999").await, 404, "not_found");
    let browser = signed_in_admin(&app).await;
    let _stream = browser.get(app.url(&format!("/live/incidents/{}", inc["id"]))).send().await.unwrap();

    let (status, text) = scrape(&app, &token_for(&app.pool, "ada@example.com", "read").await).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let ok = value(&text, r#"debrief_http_requests_total{route="/api/v1/incidents",method="GET",status="200"}"#);
    assert!(ok.is_some_and(|n| n >= 1.0), "{text}");
    let missing = r#"debrief_http_requests_total{route="/api/v1/incidents/{id}",method="GET",status="404"}"#;
    assert_eq!(value(&text, missing), Some(1.0), "{text}");
    assert!(
        text.contains(r#"debrief_http_request_duration_seconds_bucket{route="/api/v1/incidents",le="0.005"}"#),
        "{text}"
    );
    assert_eq!(value(&text, r#"debrief_open_incidents{severity="SEV2",status="investigating"}"#), Some(1.0));
    assert_eq!(value(&text, r#"debrief_open_incidents{severity="SEV1",status="investigating"}"#), Some(0.0));
    assert_eq!(value(&text, "debrief_live_streams_open"), Some(1.0), "{text}");
    assert!(value(&text, r#"debrief_db_pool_connections{state="in_use"}"#).is_some());
}

#[sqlx::test(migrations = "./migrations")]
async fn metrics_are_not_for_everyone(pool: PgPool) {
    let (app, _) = TestApp::with_admin(pool).await;
    let Account { token: member, .. } = app.member("grace@example.com", "Grace").await;
    let http = reqwest::Client::new();
    let res = read(http.get(app.url("/metrics"))).await;
    expect_error(&res, 401, "unauthorized");
    expect_error(&read(http.get(app.url("/metrics")).bearer_auth(&member)).await, 403, "forbidden");
    let feed = token_for(&app.pool, "ada@example.com", "feed").await;
    expect_error(&read(http.get(app.url("/metrics")).bearer_auth(&feed)).await, 403, "forbidden");
}

async fn signed_in_admin(app: &TestApp) -> reqwest::Client {
    crate::pages::sign_in_as(app, "ada@example.com").await
}
