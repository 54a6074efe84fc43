use crate::browser::Browser;
use crate::common::{spawn, Account, PASSWORD};
use crate::support::Api;
use serde_json::json;
use sqlx::PgPool;

/// Sends a generic alert with `token`: its status and JSON answer.
async fn send_alert(app: &crate::common::TestApp, token: &str, alert: &serde_json::Value) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/integrations/generic"))
        .bearer_auth(token)
        .json(alert)
        .send()
        .await;
    let res = res.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

/// An admin sets up an Alertmanager integration and its rules without JavaScript (the token shows
/// once); an alert opens an incident in triage; a responder accepts it and posts an update, which
/// the status page shows.
#[sqlx::test(migrations = "./migrations")]
async fn an_alert_is_triaged_accepted_and_updated(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let plain = Browser::without_javascript().await;
    plain.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    plain.goto(&app.url("/settings/integrations")).await;
    plain.fill("#integration-name", "Production Alertmanager").await;
    plain.press("Create integration").await;
    plain.until_text("[data-testid=secret]", "copy it now").await;
    let secret = plain.text("code.secret").await;
    plain.goto(&app.url("/settings/integrations")).await;
    plain.until_text("[data-testid=integrations]", "Production Alertmanager").await;
    assert!(!plain.c.source().await.unwrap().contains(&secret), "the token is shown once");

    // A bad rule is named, and what was typed stays.
    plain.fill("#rules", "severity=critical SEV9").await;
    plain.press("Save rules").await;
    plain.until_text("#rules-error", "severity=critical SEV9").await;
    assert_eq!(plain.find("#rules").await.prop("value").await.unwrap().as_deref(), Some("severity=critical SEV9"));
    plain.fill("#rules", "severity=critical SEV1").await;
    plain.press("Save rules").await;
    plain
        .until("the rules to be saved", || async {
            plain.prop_now("#rules", "value").await.as_deref() == Some("severity=critical SEV1")
                && plain.c.find(fantoccini::Locator::Css("#rules-error")).await.is_err()
        })
        .await;
    plain.goto(&app.url("/settings/integrations")).await;
    assert_eq!(plain.find("#rules").await.prop("value").await.unwrap().as_deref(), Some("severity=critical SEV1"));

    let alert = json!({"title": "Disk full on db1", "dedup_key": "disk-db1", "status": "firing",
                       "severity": "critical", "services": ["storage"]});
    assert_eq!(
        send_alert(&app, &secret, &alert).await.0,
        403,
        "an Alertmanager token does not open the generic webhook"
    );
    let api = Api::new(&app, &token);
    let (_, made) = api.post("/integrations", json!({"kind": "generic", "name": "Grafana"})).await;
    let (_, got) = send_alert(&app, made["token"].as_str().unwrap(), &alert).await;
    let url = app.url(&format!("/incidents/{}", got["incident"].as_str().unwrap()));

    let b = Browser::start().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&url).await;
    b.until_hydrated().await;
    b.until_text("[data-testid=status]", "Triage").await;
    b.until_text("[data-testid=source]", "Grafana").await;
    b.press("Accept: start investigating").await;
    b.until_text("[data-testid=status]", "Investigating").await;
    b.click(".update-form summary").await;
    b.fill("#update-message", "Disk filled by a runaway log; rotating").await;
    b.press("Post update").await;
    b.until_text("[data-testid=latest-update]", "runaway log").await;
    // The status page tells the rest of the company.
    b.goto(&app.url("/status")).await;
    b.until_text("[data-testid=status-update]", "runaway log").await;
    assert!(b.text("[data-testid=services]").await.contains("Major outage"), "storage is down (SEV1)");
    assert_eq!(b.text("[data-testid=overall]").await, "Major outage");
    b.quit().await;
    plain.quit().await;
}

/// Declining, without JavaScript, needs a reason; the declined incident leaves the default list.
#[sqlx::test(migrations = "./migrations")]
async fn a_triage_incident_is_declined_with_a_reason_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &token);
    let (_, made) = api.post("/integrations", json!({"kind": "generic", "name": "Grafana"})).await;
    let alert = json!({"title": "Synthetic check flapping", "dedup_key": "synthetic", "status": "firing"});
    let (_, got) = send_alert(&app, made["token"].as_str().unwrap(), &alert).await;
    let reference = got["incident"].as_str().unwrap().to_string();

    let b = Browser::without_javascript().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url(&format!("/incidents/{reference}"))).await;
    b.click("[data-testid=triage] summary").await;
    b.fill("#decline-reason", "   ").await;
    b.press("Decline").await;
    b.until_text("#reason-error", "Say why").await;
    b.fill("#decline-reason", "Known flapping synthetic check").await;
    b.press("Decline").await;
    b.until_text("[data-testid=status]", "Closed").await;
    b.goto(&app.url("/incidents")).await;
    assert!(!b.text("main").await.contains(&reference), "a declined incident is not in the default list");
    b.quit().await;
}
