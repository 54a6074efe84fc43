use crate::browser::Browser;
use crate::common::{Account, TestApp, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;

/// How far the page reaches past the right edge of the screen, in CSS pixels (0 when it fits).
async fn overflow(b: &Browser) -> i64 {
    let v = b.js("return document.documentElement.scrollWidth - window.innerWidth;").await;
    v.as_i64().unwrap_or_default()
}

/// The widest elements, to say what to fix when a page does not fit.
async fn culprits(b: &Browser) -> Value {
    b.js("const w = window.innerWidth; return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));")
        .await
}

/// No page is wider than a 360 px phone, with JavaScript and without: the incident page (long
/// title, unbroken words, several people), its postmortem and history, action items and the lists.
#[sqlx::test(migrations = "./migrations")]
async fn every_page_fits_a_360_px_phone(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin_named(pool, "Ada Lovelace-Byron").await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Value| {
        let req = http.request(method, app.url(&format!("/api/v1{path}"))).bearer_auth(&token).json(&body);
        async move {
            let res = req.send().await.unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            res.json::<Value>().await.unwrap()
        }
    };
    let inc = call(
        reqwest::Method::POST,
        "/incidents".into(),
        json!({"title": "Checkout returns 500 for every EU customer paying with a saved card", "severity": "SEV1",
               "summary": "https://grafana.example.com/d/abcdefghijklmnopqrstuvwxyz0123456789/checkout-errors-by-region",
               "services": ["checkout-api", "payments-gateway", "eu-west-1"]}),
    )
    .await;
    let id = inc["id"].as_i64().unwrap();
    call(
        reqwest::Method::POST,
        format!("/incidents/{id}/timeline"),
        json!({"body": "Error rate 38% on `POST /v2/checkout/sessions/confirm-payment-intent` — see https://logs.example.com/very/long/path/without/any/break/points/at/all", "key": "detection"}),
    )
    .await;
    let me = call(reqwest::Method::GET, "/me".into(), json!(null)).await;
    let item = json!({"title": "Alert on checkout 5xx above 2% for five minutes", "owner": me["id"],
                      "due_on": "2030-01-01", "type": "alerting", "priority": "P1"});
    let action = call(reqwest::Method::POST, format!("/incidents/{id}/actions"), item).await;
    call(reqwest::Method::POST, format!("/incidents/{id}/postmortem"), json!({})).await;
    call(
        reqwest::Method::PUT,
        format!("/incidents/{id}/postmortem/sections/summary"),
        json!({"body": "| region | errors | window |\n|---|---|---|\n| eu-west-1 | 38% | 09:02–09:41 UTC |", "version": 0}),
    )
    .await;

    let pages = [
        format!("/incidents/INC-{id}"),
        format!("/incidents/INC-{id}/postmortem"),
        format!("/incidents/INC-{id}/postmortem/summary/history"),
        format!("/actions/{}", action["id"]),
        "/actions".to_string(),
        "/actions/mine".to_string(),
        "/incidents".to_string(),
        "/incidents/new".to_string(),
        "/library".to_string(),
        "/profile".to_string(),
        "/users".to_string(),
        "/audit".to_string(),
        "/insights".to_string(),
        "/status".to_string(),
        "/settings/integrations".to_string(),
        "/settings/notifications".to_string(),
        "/settings/status".to_string(),
    ];
    for javascript in [true, false] {
        let b = Browser::phone(javascript).await;
        b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
        for path in &pages {
            b.goto(&app.url(path)).await;
            if javascript {
                b.until_hydrated().await;
            }
            let over = overflow(&b).await;
            assert!(
                over <= 0,
                "{path} (JavaScript {javascript}) is {over} px wider than the phone: {}",
                culprits(&b).await
            );
        }
        b.quit().await;
    }
}
