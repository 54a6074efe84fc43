use crate::common::{spawn, Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, read, Api};
use chrono::{Duration, NaiveDate, Utc};
use debrief::server::actions::{owner_today, send_daily_digest};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn in_days(n: i64) -> String {
    day(Utc::now().date_naive() + Duration::days(n))
}

/// A valid new item owned by `owner`, with `extra` fields on top.
pub fn item(owner: i64, extra: Value) -> Value {
    let mut body = json!({
        "title": "Add a canary stage to deploys",
        "description": "Roll out to 1% first.",
        "owner": owner,
        "due_on": in_days(14),
        "type": "prevent",
        "priority": "P2",
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    body
}

pub async fn create(api: &Api<'_>, incident: i64, body: Value) -> Value {
    let (status, out) = api.post(&format!("/incidents/{incident}/actions"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    out
}

/// Changes an item from the version it has now; the change must succeed.
pub async fn change(api: &Api<'_>, item: &Value, mut changes: Value) -> Value {
    changes["version"] = item["version"].clone();
    let (status, out) = api.patch(&format!("/actions/{}", id(item)), changes).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    out
}

pub async fn list(api: &Api<'_>, query: &str) -> Vec<i64> {
    let (status, body) = api.get(&format!("/actions{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    ids(&body)
}

pub fn ids(items: &Value) -> Vec<i64> {
    items.as_array().unwrap_or_else(|| panic!("not a list: {items}")).iter().map(id).collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn creating_and_reading_an_action_item(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: _ } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);

    let body = item(
        grace.id,
        json!({
            "title": "  Alert on checkout 5xx  ",
            "type": "ALERTING",
            "priority": "p1",
            "tracker_url": "https://jira.example/OPS-12",
            "success_criterion": "Paged within 2 minutes of a spike",
            "check_back_on": in_days(30),
        }),
    );
    let created = create(&api, inc, body).await;
    assert_eq!(created["incident_id"], inc);
    assert_eq!(created["title"], "Alert on checkout 5xx");
    assert_eq!(created["description"], "Roll out to 1% first.");
    assert_eq!(created["owner"], grace.id);
    assert_eq!(created["owner_name"], "Grace");
    assert_eq!(created["due_on"], in_days(14));
    assert_eq!(created["type"], "alerting");
    assert_eq!(created["priority"], "P1");
    assert_eq!(created["status"], "open");
    assert!(created["reason"].is_null());
    assert_eq!(created["tracker_url"], "https://jira.example/OPS-12");
    assert_eq!(created["success_criterion"], "Paged within 2 minutes of a spike");
    assert_eq!(created["check_back_on"], in_days(30));
    assert!(created["outcome"].is_null());
    assert_eq!(created["outcome_note"], "");
    assert_eq!(created["overdue"], false);
    assert_eq!(created["version"], 1);
    assert_eq!(created["history"], json!([]));
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'), "{created}");

    let (status, got) = api.get(&format!("/actions/{}", id(&created))).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, created);

    // Minimal item: owned by the creator, no optional fields.
    let minimal = create(
        &api,
        inc,
        json!({"title": "Runbook", "owner": ada.id, "due_on": in_days(1), "type": "process", "priority": "P3"}),
    )
    .await;
    assert_eq!(minimal["description"], "");
    assert!(minimal["tracker_url"].is_null() && minimal["check_back_on"].is_null());
}

#[sqlx::test(migrations = "./migrations")]
async fn creating_refuses_bad_input(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { token: reader, .. } = app.reader("rita@example.com", "Rita").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let path = format!("/incidents/{inc}/actions");

    let bad = [
        (json!({"title": " "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"description": "x".repeat(20_001)}), "description"),
        (json!({"owner": 999_999}), "owner"),
        (json!({"owner": null}), "owner"),
        (json!({"due_on": ""}), "due_on"),
        (json!({"due_on": "31/12/2026"}), "due_on"),
        (json!({"due_on": "2026-02-30"}), "due_on"),
        (json!({"type": "hope"}), "type"),
        (json!({"type": ""}), "type"),
        (json!({"priority": "P4"}), "priority"),
        (json!({"tracker_url": "javascript:alert(1)"}), "tracker_url"),
        (json!({"tracker_url": "ftp://files.example/x"}), "tracker_url"),
        (json!({"check_back_on": "next month"}), "check_back_on"),
        (json!({"success_criterion": "x".repeat(2001)}), "success_criterion"),
    ];
    for (extra, field) in bad {
        let res = api.post(&path, item(ada.id, extra.clone())).await;
        let message = expect_field_error(&res, field);
        if extra.get("owner") == Some(&json!(999_999)) {
            assert_eq!(message, "No such user");
        }
        if extra.get("due_on") == Some(&json!("31/12/2026")) {
            assert!(message.contains("YYYY-MM-DD"), "{message}");
        }
    }
    let e = expect_error(&api.post(&path, json!({"title": ""})).await, 422, "invalid");
    for field in ["title", "owner", "due_on", "type", "priority"] {
        assert!(e["fields"][field].is_string(), "no {field} in {e}");
    }

    expect_error(&Api::new(&app, &reader).post(&path, item(ada.id, json!({}))).await, 403, "forbidden");
    expect_error(&api.post("/incidents/999999/actions", item(ada.id, json!({}))).await, 404, "not_found");
    expect_error(&api.post("/incidents/nope/actions", item(ada.id, json!({}))).await, 404, "not_found");
    let anonymous = read(api.http.post(api.url(&path)).json(&item(ada.id, json!({})))).await;
    expect_error(&anonymous, 401, "unauthorized");
    let (_, all) = api.get("/actions").await;
    assert_eq!(all, json!([]), "nothing was created");

    expect_error(&api.get("/actions/999999").await, 404, "not_found");
    expect_error(&api.get("/actions/abc").await, 404, "not_found");
}

#[sqlx::test(migrations = "./migrations")]
async fn updates_are_versioned_and_every_field_change_is_recorded(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: _ } = app.member("grace@example.com", "Grace").await;
    let Account { token: reader, .. } = app.reader("rita@example.com", "Rita").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let a = create(&api, inc, item(ada.id, json!({}))).await;
    let path = format!("/actions/{}", id(&a));

    let same = change(&api, &a, json!({"title": "Add a canary stage to deploys", "priority": "P2"})).await;
    assert_eq!(same, a, "no change keeps the version and writes no history");

    let b = change(
        &api,
        &a,
        json!({"status": "in_progress", "owner": grace.id, "priority": "P1", "due_on": in_days(3),
               "tracker_url": "http://tracker.example/9"}),
    )
    .await;
    assert_eq!(b["version"], 2, "one patch, one version");
    assert_eq!(
        (&b["status"], &b["owner"], &b["owner_name"]),
        (&json!("in_progress"), &json!(grace.id), &json!("Grace"))
    );
    let history = b["history"].as_array().unwrap();
    let fields: Vec<&str> = history.iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["owner", "due_on", "priority", "status", "tracker_url"]);
    assert_eq!(history[0]["from"], "Ada");
    assert_eq!(history[0]["to"], "Grace");
    assert_eq!((&history[3]["from"], &history[3]["to"]), (&json!("open"), &json!("in_progress")));
    assert!(history[4]["from"].is_null());
    for c in history {
        assert_eq!(c["author"], json!({"id": ada.id, "name": "Ada"}));
        assert!(c["at"].as_str().unwrap().ends_with('Z'));
    }

    // Stale: the first writer's version is gone.
    let res = api.patch(&path, json!({"version": 1, "title": "Mine"})).await;
    let e = expect_error(&res, 409, "conflict");
    assert_eq!(e["current"]["version"], 2, "{e}");
    assert_eq!(e["current"]["status"], "in_progress");
    assert_eq!(api.get(&path).await.1["title"], "Add a canary stage to deploys");

    expect_field_error(&api.patch(&path, json!({"title": "x"})).await, "version");
    expect_field_error(&api.patch(&path, json!({"version": 2, "owner": 424_242})).await, "owner");
    expect_field_error(&api.patch(&path, json!({"version": 2, "status": "paused"})).await, "status");
    expect_field_error(&api.patch(&path, json!({"version": 2, "due_on": "tomorrow"})).await, "due_on");
    expect_field_error(&api.patch(&path, json!({"version": 2, "tracker_url": "file:///etc"})).await, "tracker_url");
    let reason = expect_field_error(&api.patch(&path, json!({"version": 2, "status": "wont_do"})).await, "reason");
    assert!(!reason.is_empty());
    expect_field_error(&api.patch(&path, json!({"version": 2, "status": "wont_do", "reason": "  "})).await, "reason");
    expect_error(&Api::new(&app, &reader).patch(&path, json!({"version": 2, "title": "x"})).await, 403, "forbidden");
    expect_error(&api.patch("/actions/999999", json!({"version": 1})).await, 404, "not_found");
    assert_eq!(api.get(&path).await.1["version"], 2, "refused changes write nothing");

    let done = change(&api, &b, json!({"status": "done"})).await;
    let res = api.patch(&path, json!({"version": done["version"], "status": "in_progress"})).await;
    assert!(expect_field_error(&res, "status").contains("reopen"));
    let res = api.patch(&path, json!({"version": done["version"], "status": "wont_do", "reason": "r"})).await;
    expect_field_error(&res, "status");

    let reopened = change(&api, &done, json!({"status": "open"})).await;
    let dropped = change(&api, &reopened, json!({"status": "wont_do", "reason": "Replaced by the new pipeline"})).await;
    assert_eq!(dropped["status"], "wont_do");
    assert_eq!(dropped["reason"], "Replaced by the new pipeline");
    assert_eq!(dropped["overdue"], false);
    let back = change(&api, &dropped, json!({"status": "open", "tracker_url": "", "check_back_on": in_days(9)})).await;
    assert!(back["reason"].is_null(), "reopening drops the old reason: {back}");
    assert!(back["tracker_url"].is_null());
    assert_eq!(back["check_back_on"], in_days(9));
    let last: Vec<&str> =
        back["history"].as_array().unwrap().iter().rev().take(4).map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(last, ["check_back_on", "tracker_url", "reason", "status"]);
    assert_eq!(back["version"], 6);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_check_back_answer_comes_after_the_item_is_done(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { token: reader, .. } = app.reader("rita@example.com", "Rita").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let a = create(&api, inc, item(ada.id, json!({"check_back_on": in_days(-1)}))).await;
    let path = format!("/actions/{}/check", id(&a));

    let msg = expect_field_error(&api.post(&path, json!({"outcome": "worked"})).await, "outcome");
    assert!(msg.contains("answer after the item is done"), "{msg}");
    let done = change(&api, &a, json!({"status": "done"})).await;
    expect_field_error(&api.post(&path, json!({"outcome": "maybe"})).await, "outcome");
    expect_field_error(&api.post(&path, json!({})).await, "outcome");
    expect_field_error(&api.post(&path, json!({"outcome": "worked", "note": "x".repeat(2001)})).await, "note");
    expect_error(&Api::new(&app, &reader).post(&path, json!({"outcome": "worked"})).await, 403, "forbidden");
    expect_error(&api.post("/actions/999999/check", json!({"outcome": "worked"})).await, 404, "not_found");

    let (status, answered) = api.post(&path, json!({"outcome": "did_not_work", "note": " Still paged late "})).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["outcome"], "did_not_work");
    assert_eq!(answered["outcome_note"], "Still paged late");
    assert_eq!(answered["version"], done["version"].as_i64().unwrap() + 1);
    let last: Vec<&str> =
        answered["history"].as_array().unwrap().iter().rev().take(2).map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(last, ["outcome_note", "outcome"]);
    assert_eq!(api.get(&format!("/actions/{}", id(&a))).await.1, answered);
}

#[sqlx::test(migrations = "./migrations")]
async fn listing_filters_and_sorts(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let sev1 = id(&api.declare(json!({"title": "Checkout down", "severity": "SEV1", "services": ["checkout"]})).await);
    let sev3 = id(&api.declare(json!({"title": "Search slow", "severity": "SEV3", "services": ["search"]})).await);

    let later = create(&api, sev1, item(ada.id, json!({"due_on": in_days(20)}))).await;
    let late = create(&api, sev1, item(ada.id, json!({"due_on": in_days(-5), "type": "alerting"}))).await;
    let soon = create(&api, sev3, item(ada.id, json!({"due_on": in_days(2), "priority": "P1"}))).await;
    let graces = create(&api, sev3, item(grace.id, json!({"due_on": in_days(-10)}))).await;
    let finished = create(&api, sev3, item(ada.id, json!({"due_on": in_days(-30)}))).await;
    let finished = change(&api, &finished, json!({"status": "done"})).await;
    assert_eq!(late["overdue"], true);
    assert_eq!(finished["overdue"], false, "done items are never overdue");

    assert_eq!(list(&api, "").await, [id(&finished), id(&graces), id(&late), id(&soon), id(&later)], "by due date");
    assert_eq!(list(&api, &format!("?owner={}", grace.id)).await, [id(&graces)]);
    // A name or an email, as the overview's filter field takes it.
    assert_eq!(list(&api, "?owner=Grace").await, [id(&graces)]);
    assert_eq!(list(&api, "?owner=GRACE%40example.com").await, [id(&graces)]);
    assert_eq!(list(&api, "?status=done").await, [id(&finished)]);
    assert_eq!(list(&api, "?overdue=true").await, [id(&graces), id(&late)]);
    assert_eq!(list(&api, "?overdue=false").await, [id(&finished), id(&soon), id(&later)]);
    assert_eq!(list(&api, "?type=alerting").await, [id(&late)]);
    assert_eq!(list(&api, "?priority=P1").await, [id(&soon)]);
    assert_eq!(list(&api, "?severity=SEV1").await, [id(&late), id(&later)]);
    assert_eq!(list(&api, "?service=Search").await, [id(&finished), id(&graces), id(&soon)]);
    assert_eq!(list(&api, "?severity=SEV3&status=open&owner=me").await, [id(&soon)]);
    // One's own list puts what is overdue first, then by due date.
    assert_eq!(list(&api, "?owner=me").await, [id(&late), id(&finished), id(&soon), id(&later)]);
    let g = Api::new(&app, &grace_token);
    assert_eq!(ids(&g.get("/actions?owner=me").await.1), [id(&graces)]);

    for (q, field) in [
        ("?status=sleeping", "status"),
        ("?overdue=maybe", "overdue"),
        ("?type=hope", "type"),
        ("?priority=P9", "priority"),
        ("?severity=SEV9", "severity"),
        ("?owner=someone", "owner"),
    ] {
        expect_field_error(&api.get(&format!("/actions{q}")).await, field);
    }
    expect_error(&read(api.http.get(api.url("/actions"))).await, 401, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn overdue_is_judged_in_the_owner_time_zone(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: kai, token: _ } = app.member("kai@example.com", "Kai").await;
    // Kiritimati is UTC+14 and Pago Pago UTC-11: their calendars are always one or two days apart.
    for (user, zone) in [(ada.id, "Pacific/Kiritimati"), (kai.id, "Pacific/Pago_Pago")] {
        sqlx::query("UPDATE users SET time_zone = $2 WHERE id = $1")
            .bind(user)
            .bind(zone)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    let behind = day(owner_today("Pacific/Pago_Pago", Utc::now()));
    assert!(behind < day(owner_today("Pacific/Kiritimati", Utc::now())));

    // Due "today" as Pago Pago reads it: already past in Kiritimati, still due today for Kai.
    let adas = create(&api, inc, item(ada.id, json!({"due_on": behind}))).await;
    let kais = create(&api, inc, item(kai.id, json!({"due_on": behind}))).await;
    assert_eq!(adas["overdue"], true, "{adas}");
    assert_eq!(kais["overdue"], false, "{kais}");
    assert_eq!(ids(&api.get("/actions?overdue=true").await.1), [id(&adas)]);

    // Moving the item to Kai judges it by Kai's calendar.
    let moved = change(&api, &adas, json!({"owner": kai.id})).await;
    assert_eq!(moved["overdue"], false, "{moved}");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_daily_digest_goes_out_once_across_instances(pool: PgPool) {
    let one = spawn(pool.clone()).await;
    let two = spawn(pool).await;
    let Account { user: ada, token } = one.admin("ada@example.com", "Ada").await;
    let Account { user: grace, token: _ } = one.member("grace@example.com", "Grace").await;
    let api = Api::new(&one, &token);
    let (hook, mut messages) = crate::support::webhook_receiver().await;
    let (status, saved) =
        read(api.request(Method::PUT, "/settings").json(&json!({"public_url": "http://debrief.test"}))).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let digest = json!({"kind": "slack", "name": "#follow-ups", "url": hook, "events": ["action_overdue"]});
    assert_eq!(api.post("/destinations", digest).await.0, StatusCode::CREATED);

    let inc = id(&api.declare_titled("Checkout down").await);
    create(&api, inc, item(grace.id, json!({"title": "Alert on 5xx", "due_on": in_days(-3)}))).await;
    create(&api, inc, item(grace.id, json!({"title": "Not yet due", "due_on": in_days(5)}))).await;
    let checked = create(&api, inc, item(ada.id, json!({"title": "Canary", "check_back_on": in_days(-2)}))).await;
    change(&api, &checked, json!({"status": "done"})).await;

    let now = Utc::now();
    let (a, b) = tokio::join!(send_daily_digest(&one.pool, now), send_daily_digest(&two.pool, now));
    let (a, b) = (a.expect("first instance"), b.expect("second instance"));
    assert!(a ^ b, "exactly one instance sends the digest: {a} {b}");

    let message = tokio::time::timeout(std::time::Duration::from_secs(20), messages.recv())
        .await
        .expect("no digest arrived")
        .expect("receiver closed");
    let text = message["text"].as_str().unwrap_or_else(|| panic!("no text in {message}"));
    assert!(text.contains("1 overdue") && text.contains("1 to check back on"), "{message}");
    let blocks = message["blocks"].to_string();
    assert!(blocks.contains("Grace") && blocks.contains("Alert on 5xx"), "{message}");
    assert!(blocks.contains("Ada") && blocks.contains("Canary"), "{message}");
    assert!(!blocks.contains("Not yet due"), "{message}");
    assert!(blocks.contains(&format!("INC-{inc} P")), "{message}");
    assert!(blocks.contains("<http://debrief.test/actions?overdue=true|Open in Debrief>"), "{message}");

    // A restart the same day sends nothing more; the next day sends again.
    assert!(!send_daily_digest(&two.pool, now).await.unwrap());
    assert!(!send_daily_digest(&one.pool, now).await.unwrap());
    let extra = tokio::time::timeout(std::time::Duration::from_millis(500), messages.recv()).await;
    assert!(extra.is_err(), "a second digest was sent: {extra:?}");
    assert!(send_daily_digest(&one.pool, now + Duration::days(1)).await.unwrap());
}
