use crate::browser::Browser;
use crate::common::{Account, TestApp, PASSWORD};
use crate::support::Api;
use fantoccini::Locator;
use serde_json::json;
use sqlx::PgPool;

/// Fills the new-item form inside `scope` and submits it.
async fn add_item(b: &Browser, scope: &str, title: &str, kind: &str, due: &str, check_back: &str) {
    let details = b.find(&format!("{scope} details.new-action")).await;
    if details.attr("open").await.unwrap().is_none() {
        b.click(&format!("{scope} [data-testid=new-action]")).await;
    }
    b.fill("#new-action-title", title).await;
    b.find("#new-action-type").await.select_by_value(kind).await.unwrap();
    b.find("#new-action-priority").await.select_by_value("P1").await.unwrap();
    b.fill("#new-action-description", "Found in the **postmortem**.").await;
    b.fill("#new-action-criterion", "On-call is paged within 2 minutes").await;
    // Date inputs take their typed form from the browser's locale; set the ISO value directly.
    b.js(&format!(
        "document.querySelector('#new-action-due').value = '{due}';
         document.querySelector('#new-action-check-back').value = '{check_back}';"
    ))
    .await;
    b.press("Add action item").await;
    b.until_text(&format!("{scope} [data-testid=action-list]"), title).await;
}

/// From the postmortem: create items, finish one and answer its check-back ("did not work" leads to a
/// follow-up in one click), drop one with a reason, and find them all under "My action items".
#[sqlx::test(migrations = "./migrations")]
async fn follow_ups_from_the_postmortem_to_my_action_items(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let inc = Api::new(&app, &token).declare(json!({"title": "Checkout down", "severity": "SEV2"})).await;
    let url = inc["url"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let res = http
        .post(app.url(&format!("/api/v1/incidents/{}/postmortem", inc["id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    let b = Browser::start().await;
    // The page's Content-Security-Policy lets its own inline script run: it fills in the browser's zone.
    b.goto(&app.url("/login")).await;
    b.until_hydrated().await;
    let zone = b.js("return document.querySelector('input[name=time_zone]').value").await;
    assert!(zone.as_str().is_some_and(|z| !z.is_empty()), "time zone script blocked: {zone}");
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url(&format!("{url}/postmortem"))).await;
    b.until_hydrated().await;
    let section = "[data-testid=section-action_items]";
    let today = chrono::Utc::now().date_naive();
    let soon = (today + chrono::Duration::days(7)).to_string();
    let past = (today - chrono::Duration::days(3)).to_string();
    add_item(&b, section, "Alert on checkout 5xx", "alerting", &soon, &today.to_string()).await;
    add_item(&b, section, "Rewrite the cache layer", "prevent", &past, "").await;
    b.until_text(&format!("{section} [data-testid=action-counts]"), "1 overdue").await;

    // Finish the alert, then say it did not work: one click makes the follow-up.
    b.c.find(Locator::LinkText("Alert on checkout 5xx")).await.unwrap().click().await.unwrap();
    b.until_text("[data-testid=action-title]", "Alert on checkout 5xx").await;
    b.until_hydrated().await;
    b.press("Start").await;
    b.until_text("[data-testid=action-status]", "In progress").await;
    b.press("Mark done").await;
    b.until_text("[data-testid=check-back]", "The check-back date has come").await;
    b.click("input[name=outcome][value=did_not_work]").await;
    b.fill("#check-note", "Paged after 9 minutes").await;
    b.press("Save the answer").await;
    b.until_text("[data-testid=action-outcome]", "Did not work").await;
    let history = b.text("[data-testid=action-history]").await;
    assert!(history.contains("changed status") && history.contains("Done"), "{history}");
    b.press("Create a follow-up").await;
    b.until_text("[data-testid=action-title]", "Follow up: Alert on checkout 5xx").await;
    let follow_up = b.url().await;

    // Drop the rewrite: a reason is required, and what was typed stays.
    b.goto(&app.url(&format!("{url}/postmortem"))).await;
    b.c.find(Locator::LinkText("Rewrite the cache layer")).await.unwrap().click().await.unwrap();
    b.until_text("[data-testid=action-title]", "Rewrite the cache layer").await;
    b.until_hydrated().await;
    b.find("[data-testid=overdue]").await;
    b.until_text("[data-testid=overdue-badge]", "1").await;
    b.click("details.wont-do summary").await;
    b.press("Drop it").await;
    b.until_text("#reason-error", "Say why").await;
    b.fill("#wont-do-reason", "The CDN migration removes this layer").await;
    b.press("Drop it").await;
    b.until_text("[data-testid=action-status]", "Won't do").await;
    b.until_text("[data-testid=reason]", "The CDN migration removes this layer").await;

    // The postmortem's table shows the answer; My action items lists what is left first.
    b.goto(&app.url(&format!("{url}/postmortem"))).await;
    b.until_text(&format!("{section} [data-testid=action-list]"), "Did not work").await;
    b.click("a[href='/actions/mine']").await;
    b.until_text("h1", "My action items").await;
    let todo = b.text("table[data-testid=action-list]").await;
    assert!(todo.contains("Follow up: Alert on checkout 5xx"), "{todo}");
    assert!(!todo.contains("Rewrite the cache layer"), "finished items are listed apart: {todo}");
    let counts = b.text("[data-testid=action-counts]").await;
    assert!(counts.contains("3 items") && counts.contains("1 won't do") && counts.contains("50% done"), "{counts}");
    assert!(b.c.find(Locator::Css("[data-testid=overdue-badge]")).await.is_err(), "nothing of mine is overdue now");
    b.c.find(Locator::LinkText("Follow up: Alert on checkout 5xx")).await.unwrap().click().await.unwrap();
    b.until_url_contains(follow_up.trim_start_matches(&app.base)).await;

    // All action items, filtered by a plain GET form.
    b.goto(&app.url("/actions?status=wont_do")).await;
    let all = b.text("table[data-testid=action-list]").await;
    assert!(all.contains("Rewrite the cache layer") && !all.contains("Follow up"), "{all}");
    b.quit().await;
}

/// During an outage the timeline moves all the time: a half-typed action item on the incident page
/// survives another responder's note arriving live, and is then added in place.
#[sqlx::test(migrations = "./migrations")]
async fn a_live_update_keeps_a_half_typed_action_item(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let inc = Api::new(&app, &token).declare(json!({"title": "Checkout down", "severity": "SEV1"})).await;
    let b = Browser::start().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url(inc["url"].as_str().unwrap())).await;
    b.until_hydrated().await;
    b.click("[data-testid=new-action]").await;
    b.fill("#new-action-title", "Alert on checkout 5xx").await;

    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/incidents/{}/timeline", inc["id"])))
        .bearer_auth(&token)
        .json(&json!({"body": "Error rate back to normal"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    b.until_text("[data-testid=timeline]", "Error rate back to normal").await;
    let typed = b.find("#new-action-title").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(typed, "Alert on checkout 5xx", "the live update wiped the form");

    b.find("#new-action-type").await.select_by_value("alerting").await.unwrap();
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(7)).to_string();
    b.js(&format!("document.querySelector('#new-action-due').value = '{due}'")).await;
    b.press("Add action item").await;
    b.until_text("[data-testid=incident-actions] [data-testid=action-list]", "Alert on checkout 5xx").await;
    let cleared = b.find("#new-action-title").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(cleared, "", "the form empties after adding");
    b.quit().await;
}
