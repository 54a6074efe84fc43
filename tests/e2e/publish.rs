use crate::browser::Browser;
use crate::common::{Account, TestApp, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;

const HOSTILE: &str = r#"Saturated **pool**. <script>window.__pwned = 1; alert(1)</script>

[runbook](javascript:window.__pwned=2) and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<img src="x" onerror="window.__pwned = 3; alert(3)">

<svg onload="window.__pwned = 4"><script>window.__pwned = 5</script></svg>

<div onclick="window.__pwned = 6" style="background:url(javascript:alert(7))">raw html block</div>

<iframe src="javascript:alert(8)"></iframe> <a href="JaVaScRiPt:alert(9)">mixed case</a>"#;

/// Review, approve, publish, find it in the library, and a published page full of hostile input
/// runs no script and opens no dialog.
#[sqlx::test(migrations = "./migrations")]
async fn review_publish_find_and_nothing_hostile_runs(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let grace = app.user("grace@example.com", "Grace", "member").await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Value| {
        let req = http.request(method, app.url(&format!("/api/v1{path}"))).bearer_auth(&ada).json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let v: Value = res.json().await.unwrap();
            assert!(status.is_success(), "{status} {v}");
            v
        }
    };
    let inc =
        call(reqwest::Method::POST, "/incidents".into(), json!({"title": "Checkout down", "severity": "SEV1"})).await;
    let id = inc["id"].as_i64().unwrap();
    call(reqwest::Method::POST, format!("/incidents/{id}/timeline"), json!({"body": HOSTILE, "key": "trigger"})).await;
    call(reqwest::Method::PATCH, format!("/incidents/{id}"), json!({"version": 1, "status": "resolved"})).await;
    let pm = call(reqwest::Method::POST, format!("/incidents/{id}/postmortem"), json!({})).await;
    for s in pm["sections"].as_array().unwrap().iter().filter(|s| s["required"] == true) {
        let key = s["key"].as_str().unwrap();
        let body = if key == "trigger" { HOSTILE.to_string() } else { format!("The {key} section: zanzibar pool.") };
        call(
            reqwest::Method::PUT,
            format!("/incidents/{id}/postmortem/sections/{key}"),
            json!({"body": body, "version": 0}),
        )
        .await;
    }
    call(reqwest::Method::POST, format!("/incidents/{id}/postmortem/submit"), json!({"reviewers": [grace.id]})).await;

    // Grace reviews in the browser.
    let b = Browser::start().await;
    b.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    b.goto(&app.url(&format!("/incidents/INC-{id}/postmortem"))).await;
    b.until_hydrated().await;
    b.press("Approve").await;
    b.until_text("[data-testid=review]", "approved").await;
    b.press("Publish").await;
    b.until_url_contains(&format!("/library/INC-{id}")).await;
    b.until_text("[data-testid=published]", "zanzibar pool").await;
    b.until_hydrated().await;

    // Nothing hostile ran: no flag set, no dialog open, no script or handler in the page.
    assert_eq!(b.js("return window.__pwned === undefined;").await, json!(true));
    assert!(b.c.get_alert_text().await.is_err(), "no dialog opened");
    let html = b.find("[data-testid=published]").await.html(false).await.unwrap().to_lowercase();
    for bad in ["<script", "javascript:", "onerror", "onload", "onclick", "<iframe", "<svg", "data:text"] {
        assert!(!html.contains(bad), "{bad} reached the page:\n{html}");
    }
    // The incident page renders the same hostile note safely too.
    b.goto(&app.url(&format!("/incidents/INC-{id}"))).await;
    b.until_text("[data-testid=status]", "Closed").await;
    b.until_hydrated().await;
    assert_eq!(b.js("return window.__pwned === undefined;").await, json!(true));
    assert!(b.c.get_alert_text().await.is_err());

    // Found in the library by full-text search, and offered as Markdown.
    b.goto(&app.url("/library?q=zanzibar")).await;
    b.until_text("[data-testid=library]", "Checkout down").await;
    b.goto(&app.url("/library?q=nonexistentword")).await;
    b.until_text("main", "No published postmortems match").await;
    b.goto(&app.url(&format!("/library/INC-{id}"))).await;
    let md =
        b.c.execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('a[download]').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    assert!(md.as_str().unwrap().contains("postmortem: published"), "{md}");
    b.quit().await;
}
