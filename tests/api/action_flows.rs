//! Action items beyond the basics: one-click follow-ups, the team filter and sort order, the
//! postmortem's action table, and the pages' forms without JavaScript.

use crate::actions::{change, create, in_days, item, list};
use crate::common::{spawn, Account, TestApp};
use crate::pages::{form_action, page, post_form, signed_in};
use crate::support::{expect_error, expect_field_error, id, Api};
use chrono::{Duration, Utc};
use debrief::server::{accounts, actions::owner_today};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn a_did_not_work_answer_gets_a_follow_up_in_one_step(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: _ } = app.member("grace@example.com", "Grace").await;
    let Account { token: reader, .. } = app.reader("rita@example.com", "Rita").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let body = item(
        grace.id,
        json!({"title": "Alert on 5xx", "type": "alerting", "priority": "P1",
        "success_criterion": "Paged within 2 minutes"}),
    );
    let a = create(&api, inc, body).await;
    let path = format!("/actions/{}/follow-up", id(&a));

    let msg = expect_field_error(&api.post(&path, json!({})).await, "outcome");
    assert!(msg.contains("did not work"), "{msg}");
    let done = change(&api, &a, json!({"status": "done"})).await;
    let (status, worked) = api.post(&format!("/actions/{}/check", id(&a)), json!({"outcome": "worked"})).await;
    assert_eq!(status, StatusCode::OK, "{worked}");
    expect_field_error(&api.post(&path, json!({})).await, "outcome");
    let note = json!({"outcome": "did_not_work", "note": "Paged after 9 minutes"});
    let (status, _) = api.post(&format!("/actions/{}/check", id(&a)), note).await;
    assert_eq!(status, StatusCode::OK);
    expect_error(&Api::new(&app, &reader).post(&path, json!({})).await, 403, "forbidden");
    expect_error(&api.post("/actions/999999/follow-up", json!({})).await, 404, "not_found");

    let (status, follow) = api.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{follow}");
    assert_eq!(follow["follows"], id(&a));
    assert_eq!(follow["created_by"]["name"], "Ada", "whoever clicked made it");
    assert_eq!(follow["incident_id"], inc);
    assert_eq!(follow["title"], "Follow up: Alert on 5xx");
    assert_eq!(follow["owner"], grace.id);
    assert_eq!(follow["type"], "alerting");
    assert_eq!(follow["priority"], "P1");
    assert_eq!(follow["status"], "open");
    assert_eq!(follow["success_criterion"], "Paged within 2 minutes");
    assert!(follow["description"].as_str().unwrap().contains("> Paged after 9 minutes"), "{follow}");
    let due = owner_today("Europe/Paris", Utc::now()) + Duration::days(14);
    assert_eq!(follow["due_on"], due.to_string(), "two weeks in the owner's calendar");

    // A second click gives the same follow-up, not another one.
    let (status, again) = api.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(id(&again), id(&follow));
    assert_eq!(list(&api, &format!("?incident={inc}")).await.len(), 2);
    assert_eq!(done["outcome"], serde_json::Value::Null);
}

#[sqlx::test(migrations = "./migrations")]
async fn items_filter_by_the_owner_team_and_sort_latest_first(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: _ } = app.member("grace@example.com", "Grace").await;
    accounts::save_profile(&app.pool, &grace, "Pacific/Auckland", " Payments ", true).await.unwrap();
    let Account { token: grace_token, .. } = app.member("grace2@example.com", "Grace Two").await;
    let g = Api::new(&app, &grace_token);
    let (_, me) = g.get("/me").await;
    let forbidden = accounts::set_team(&app.pool, &grace, me["id"].as_i64().unwrap(), "Payments").await;
    assert!(matches!(forbidden, Err(debrief::error::AppError::Forbidden(_))), "only admins set others' teams");
    accounts::set_team(&app.pool, &ada, me["id"].as_i64().unwrap(), "Search").await.unwrap();
    assert_eq!(g.get("/me").await.1["team"], "Search");
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let first = create(&api, inc, item(ada.id, json!({"due_on": in_days(3)}))).await;
    let second = create(&api, inc, item(grace.id, json!({"due_on": in_days(9)}))).await;
    let third = create(&api, inc, item(grace.id, json!({"due_on": in_days(1)}))).await;

    assert_eq!(list(&api, "?team=payments").await, [id(&third), id(&second)]);
    assert_eq!(list(&api, "?team=Payments&sort=-due").await, [id(&second), id(&third)]);
    assert_eq!(list(&api, "?sort=-due").await, [id(&second), id(&first), id(&third)]);
    assert!(list(&api, "?team=Search").await.is_empty());
    expect_field_error(&api.get("/actions?sort=sideways").await, "sort");

    let (_, me) = Api::new(&app, &token).get("/me").await;
    assert_eq!(me["team"], "");
    let err = accounts::save_profile(&app.pool, &grace, "Mars/Olympus", &"x".repeat(300), true).await.unwrap_err();
    assert!(err.field("time_zone").is_some() && err.field("team").is_some(), "{err:?}");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_postmortem_export_carries_the_action_table(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: _ } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let (status, _) = api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert!(status.is_success());
    let fix = create(&api, inc, item(grace.id, json!({"title": "Alert on 5xx", "due_on": "2026-12-01"}))).await;
    let fix = change(&api, &fix, json!({"status": "done"})).await;
    api.post(&format!("/actions/{}/check", id(&fix)), json!({"outcome": "did_not_work", "note": "late"})).await;
    let drop = create(&api, inc, item(ada.id, json!({"title": "Rewrite the cache", "due_on": "2026-12-05"}))).await;
    change(&api, &drop, json!({"status": "wont_do", "reason": "Replaced by the CDN"})).await;

    let res = api.request(Method::GET, &format!("/incidents/{inc}/postmortem.md")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let md = res.text().await.unwrap();
    assert!(md.contains("| Action | Owner | Due | Priority | Status | Outcome |"), "{md}");
    assert!(md.contains("| Alert on 5xx | Grace | 2026-12-01 | P2 | Done | Did not work: late |"), "{md}");
    assert!(md.contains("| Rewrite the cache | Ada | 2026-12-05 | P2 | Won't do | — |"), "{md}");
}

#[sqlx::test(migrations = "./migrations")]
async fn action_item_forms_work_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let ada = app.pool.clone();
    let ada_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(&ada).await.unwrap();
    let Account { token, .. } = app.member("grace@example.com", "Grace").await;
    let inc = id(&Api::new(&app, &token).declare_titled("Checkout down").await);
    let incident = format!("/incidents/INC-{inc}");
    let (_, html) = page(&http, &app, &incident).await;
    assert!(html.contains("No action items yet."), "{html}");
    let create_action = form_action(&html, "create_action");
    let owner = ada_id.to_string();
    let inc_s = inc.to_string();
    let mut form = vec![
        ("incident_id", inc_s.as_str()),
        ("title", "Alert on checkout 5xx"),
        // Typed, not chosen from a list of everyone.
        ("owner", "nobody@example.com"),
        ("due_on", "31/12/2026"),
        ("kind", ""),
        ("priority", "P1"),
        ("description", "Page on a **spike**<script>alert(1)</script>"),
        ("tracker_url", ""),
        ("success_criterion", "Paged within 2 minutes"),
        ("check_back_on", ""),
    ];
    // Bad input comes back with messages and everything typed.
    let res = post_form(&http, &app, &create_action, &incident, &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = res.headers()[LOCATION].to_str().unwrap().to_string();
    let (status, html) = page(&http, &app, back.trim_start_matches(&app.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("is not a date: use YYYY-MM-DD"), "{html}");
    assert!(html.contains("Choose a type"), "{html}");
    assert!(html.contains("value=\"Alert on checkout 5xx\""), "title kept");
    assert!(html.contains("Paged within 2 minutes"), "criterion kept");
    assert!(html.contains("No one is called or has the email"), "{html}");
    assert!(html.contains("value=\"nobody@example.com\""), "owner kept");

    form[2] = ("owner", "ada@example.com");
    form[3] = ("due_on", "2020-01-02");
    form[4] = ("kind", "alerting");
    let res = post_form(&http, &app, &create_action, &incident, &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, html) = page(&http, &app, &incident).await;
    assert!(html.contains("Alert on checkout 5xx") && html.contains("Overdue"), "{html}");
    assert!(html.contains("data-testid=\"overdue-badge\""), "the top bar counts my overdue items: {html}");
    let item_id: i64 = sqlx::query_scalar("SELECT id FROM action_items").fetch_one(&ada).await.unwrap();
    let item_page = format!("/actions/{item_id}");

    // The item page: sanitised description, then dropping it needs a reason.
    let (status, html) = page(&http, &app, &item_page).await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>spike</strong>"), "{html}");
    assert!(!html.contains("<script>alert(1)"), "the description is sanitised: {html}");
    let move_action = form_action(&html, "move_action");
    let drop =
        [("id", item_id.to_string()), ("version", "1".into()), ("status", "wont_do".into()), ("reason", "".into())];
    let drop: Vec<(&str, &str)> = drop.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_form(&http, &app, &move_action, &item_page, &app.base, &drop).await;
    let back = res.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, html) = page(&http, &app, back.trim_start_matches(&app.base)).await;
    assert!(html.contains("Say why this will not be done"), "{html}");
    let mut drop = drop.clone();
    drop[3] = ("reason", "The CDN replaces it");
    let res = post_form(&http, &app, &move_action, &item_page, &app.base, &drop).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, html) = page(&http, &app, &item_page).await;
    assert!(html.contains("The CDN replaces it"), "{html}");
    assert!(html.contains("changed status") && html.contains("<q>Won't do</q>"), "history shown: {html}");

    // My items and the filtered overview render; a bad filter is a message, not a failure.
    let (status, html) = page(&http, &app, "/actions/mine").await;
    assert_eq!(status, 200);
    assert!(!html.contains("overdue-badge"), "dropped items are not overdue: {html}");
    assert!(html.contains("Alert on checkout 5xx"), "{html}");
    let (status, html) = page(&http, &app, "/actions?status=wont_do&severity=SEV2").await;
    assert_eq!(status, 200);
    assert!(html.contains("Alert on checkout 5xx") && !html.contains("% done"), "{html}");
    let (_, html) = page(&http, &app, "/actions?status=sleeping").await;
    assert!(html.contains("unknown status") || html.contains("sleeping"), "{html}");
    let (status, _) = page(&http, &app, "/actions/999999").await;
    assert_eq!(status, 404);

    // Admins put people in teams from the Users page; the overview then offers the team as a filter.
    let (_, html) = page(&http, &app, "/users").await;
    let set_team = form_action(&html, "set_user_team");
    let res =
        post_form(&http, &app, &set_team, "/users", &app.base, &[("user_id", &owner), ("team", "Payments")]).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, html) = page(&http, &app, "/users").await;
    assert!(html.contains("value=\"Payments\""), "{html}");
    let (_, html) = page(&http, &app, "/actions?team=Payments").await;
    assert!(html.contains("<option value=\"Payments\" selected"), "{html}");
    assert!(html.contains("Alert on checkout 5xx"), "{html}");
}

/// Stored text is shown in form fields and titles; none of it may break out into markup.
#[sqlx::test(migrations = "./migrations")]
async fn stored_text_never_breaks_out_of_form_fields(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let Account { user: grace, token } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let evil = "</textarea></title><script>alert('x')</script>";
    let inc = id(&api.declare_titled(evil).await);
    let (status, _) = api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert!(status.is_success());
    let (status, saved) = crate::support::read(
        api.request(Method::PUT, &format!("/incidents/{inc}/postmortem/sections/summary"))
            .json(&json!({"body": evil, "version": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let a = create(&api, inc, item(grace.id, json!({"description": evil, "title": evil}))).await;
    let done = change(&api, &a, json!({"status": "done"})).await;
    api.post(&format!("/actions/{}/check", id(&done)), json!({"outcome": "unclear", "note": evil})).await;

    for path in
        [format!("/incidents/INC-{inc}"), format!("/incidents/INC-{inc}/postmortem"), format!("/actions/{}", id(&a))]
    {
        let (status, html) = page(&http, &app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("&lt;/textarea&gt;") || html.contains("&lt;script&gt;"), "{path} shows the text: {html}");
        assert!(!html.contains("<script>alert('x')"), "{path} let stored text out as markup: {html}");
    }
}

/// A template without an action-items section still shows the incident's follow-ups on the write-up
/// and in its export.
#[sqlx::test(migrations = "./migrations")]
async fn follow_ups_show_without_an_action_items_section(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let Account { user: grace, token } = app.admin("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let template = json!([{"key": "what", "title": "What happened", "guidance": "Plainly.", "required": true}]);
    let (status, t) = crate::support::read(api.request(Method::PUT, "/postmortem-template").json(&template)).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let inc = id(&api.declare_titled("Checkout down").await);
    api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    create(&api, inc, item(grace.id, json!({"title": "Alert on 5xx"}))).await;

    let (status, html) = page(&http, &app, &format!("/incidents/INC-{inc}/postmortem")).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"incident-actions\"") && html.contains("Alert on 5xx"), "{html}");
    let res = api.request(Method::GET, &format!("/incidents/{inc}/postmortem.md")).send().await.unwrap();
    let md = res.text().await.unwrap();
    assert!(md.contains("## Action items") && md.contains("| Alert on 5xx | Grace |"), "{md}");
}
