//! Stakeholder updates: posted over the API or the page, listed newest first, on the timeline, the
//! latest at the top of the incident page, "overdue" when the promised next update is late.

use crate::common::{Account, TestApp};
use crate::pages::{form_action, page, post_form, sign_in_as};
use crate::support::{expect_error, expect_field_error, id, Api};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn updates_are_posted_listed_and_on_the_timeline(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout errors").await;
    let i = id(&inc);
    let body =
        json!({"message": "Payments fail for 5% of users", "impact": "Some checkouts fail", "next_update_at": "30"});
    let (status, first) = api.post(&format!("/incidents/{i}/updates"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["message"], "Payments fail for 5% of users");
    assert_eq!(first["impact"], "Some checkouts fail");
    assert_eq!(first["author"]["name"], "Ada");
    assert!(first["next_update_at"].is_string());
    let (status, second) = api.post(&format!("/incidents/{i}/updates"), json!({"message": "Fix deployed"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(second["next_update_at"], json!(null));

    let (_, list) = api.get(&format!("/incidents/{i}/updates")).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["message"], "Fix deployed", "newest first");
    let timeline = api.timeline(i).await;
    assert!(timeline.iter().any(|e| e["kind"] == "update" && e["body"].as_str().unwrap().contains("Payments fail")));
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_updates_are_refused_field_by_field_and_change_nothing(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let i = id(&api.declare_titled("Queue backlog").await);
    let res = api
        .post(&format!("/incidents/{i}/updates"), json!({"message": " ", "next_update_at": "2001-01-01T00:00:00Z"}))
        .await;
    let e = expect_error(&res, 422, "invalid");
    assert!(e["fields"]["message"].is_string() && e["fields"]["next_update_at"].is_string(), "{e}");
    expect_field_error(
        &api.post(&format!("/incidents/{i}/updates"), json!({"message": "x", "next_update_at": "soon"})).await,
        "next_update_at",
    );
    expect_error(&api.post("/incidents/999999/updates", json!({"message": "x"})).await, 404, "not_found");
    let Account { token: reader, .. } = app.reader("rita@example.com", "Rita").await;
    expect_error(
        &Api::new(&app, &reader).post(&format!("/incidents/{i}/updates"), json!({"message": "x"})).await,
        403,
        "forbidden",
    );
    let (_, list) = api.get(&format!("/incidents/{i}/updates")).await;
    assert!(list.as_array().unwrap().is_empty());
}

#[sqlx::test(migrations = "./migrations")]
async fn the_page_shows_the_latest_update_and_says_when_the_next_is_late(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let i = id(&api.declare_titled("Search slow").await);
    let browser = sign_in_as(&app, "ada@example.com").await;
    let path = format!("/incidents/INC-{i}");
    let (_, html) = page(&browser, &app, &path).await;
    assert!(!html.contains("data-testid=\"latest-update\""));

    // Posted with the page's form, as a browser without JavaScript does.
    let action = form_action(&html, "post_stakeholder_update");
    let form = [
        ("id", i.to_string()),
        ("message", "Index rebuild <b>running</b>".into()),
        ("impact", String::new()),
        ("next_update_at", "15".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_form(&browser, &app, &action, &path, &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, html) = page(&browser, &app, &path).await;
    assert!(html.contains("Index rebuild &lt;b&gt;running&lt;/b&gt;"), "escaped: {html}");
    assert!(html.contains("Next update by") && !html.contains("Update overdue"));

    sqlx::query("UPDATE incident_updates SET next_update_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, html) = page(&browser, &app, &path).await;
    assert!(html.contains("Update overdue"), "{html}");
    // Once resolved, nothing is overdue any more.
    let inc = api.incident(i).await;
    api.change(&inc, json!({"status": "resolved"})).await;
    let (_, html) = page(&browser, &app, &path).await;
    assert!(!html.contains("Update overdue"));
}
