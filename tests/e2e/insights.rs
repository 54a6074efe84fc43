use crate::browser::Browser;
use crate::common::{spawn, PASSWORD};
use crate::support::{rfc3339, Api};
use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::PgPool;

/// Without JavaScript: the figures with their server-drawn charts and tables, the small-sample
/// rule, a period that ends before it starts refused beside its field (what was typed kept), and the
/// filter form narrowing to one severity.
#[sqlx::test(migrations = "./migrations")]
async fn the_insights_page_works_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &admin.token);
    for (n, sev) in ["SEV2", "SEV2", "SEV2", "SEV2", "SEV2", "SEV1"].iter().enumerate() {
        let began = Utc::now() - Duration::hours(n as i64 + 2);
        let body = json!({"title": format!("Checkout {n}"), "severity": sev, "services": ["checkout"], "started_at": rfc3339(began)});
        let id = api.declare(body).await["id"].as_i64().unwrap();
        let at = rfc3339(began + Duration::minutes(n as i64 + 1));
        api.note(id, json!({"body": "Alert", "key": "detection", "occurred_at": at})).await;
    }
    let b = Browser::without_javascript().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url("/insights")).await;
    b.until_text("[data-testid=insights-period]", "6 incidents").await;
    let detect = "[data-testid=metric-time_to_detect]";
    b.find(&format!("{detect} figure svg")).await;
    let table = b.text(&format!("{detect} table")).await;
    assert!(table.contains("SEV2") && table.contains("3 min"), "median of 1 … 5 minutes: {table}");
    assert!(table.contains("fewer than 5 incidents: no percentile"), "SEV1 has one: {table}");
    b.find("[data-testid=per-week] svg").await;
    assert!(b.text("#definitions").await.contains("Time to detect: From impact started to detected"));

    b.goto(&app.url("/insights?from=2026-11-10&to=2026-11-01&service=checkout")).await;
    b.until_text("#to-error", "before it starts").await;
    assert_eq!(b.find("input[name=service]").await.prop("value").await.unwrap().as_deref(), Some("checkout"));

    b.goto(&app.url("/insights")).await;
    b.click("select[name=severity] option[value=SEV1]").await;
    b.press("Show").await;
    b.until_url_contains("severity=SEV1").await;
    b.until_text("[data-testid=insights-period]", "1 incident whose").await;
    let csv = b.find("a[href^='/insights.csv?']").await.attr("href").await.unwrap().unwrap_or_default();
    assert!(csv.contains("severity=SEV1"), "the download keeps the filters: {csv}");
    b.quit().await;
}

/// Without JavaScript a responder corrects a moment on the incident page: a time that would put
/// detection before the impact began is refused beside its field with the reason kept, then a good
/// one shows who set it and why.
#[sqlx::test(migrations = "./migrations")]
async fn a_moment_is_corrected_on_the_incident_page_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.admin("ada@example.com", "Ada").await;
    let began = Utc::now() - Duration::hours(2);
    let inc = Api::new(&app, &admin.token)
        .declare(json!({"title": "Checkout errors", "severity": "SEV2", "started_at": rfc3339(began)}))
        .await;
    let b = Browser::without_javascript().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url(&format!("/incidents/INC-{}", inc["id"]))).await;
    b.until_text("[data-testid=milestones] tr[data-moment=impact_started]", "Automatic").await;
    b.click(".correct-milestone summary").await;
    b.click("#milestone-moment option[value=detected]").await;
    // Typing into a datetime-local field depends on the browser's locale, and its value is read in
    // Ada's zone; the field also takes an RFC 3339 time, so the test gives one, in UTC.
    let set_at = |t: chrono::DateTime<Utc>| {
        format!("const f = document.querySelector('#milestone-at'); f.type = 'text'; f.value = '{}';", rfc3339(t))
    };
    b.js(&set_at(began - Duration::minutes(30))).await;
    b.fill("#milestone-reason", "The first customer report").await;
    b.press("Correct").await;
    b.until_text("#at-error", "cannot be before impact started").await;
    assert_eq!(
        b.find("#milestone-reason").await.prop("value").await.unwrap().as_deref(),
        Some("The first customer report")
    );
    b.js(&set_at(began + Duration::minutes(10))).await;
    b.press("Correct").await;

    b.until_text("[data-testid=milestones] tr[data-moment=detected]", "Set by Ada: The first customer report").await;
    b.quit().await;
}
