use crate::common::{Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, read, time, Api};
use chrono::Datelike;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

async fn put_section(api: &Api<'_>, inc: i64, key: &str, body: &str, version: i64) -> (StatusCode, Value) {
    read(
        api.request(Method::PUT, &format!("/incidents/{inc}/postmortem/sections/{key}"))
            .json(&json!({"body": body, "version": version})),
    )
    .await
}

async fn postmortem(api: &Api<'_>, inc: i64) -> Value {
    let (status, pm) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    pm
}

fn section<'v>(pm: &'v Value, key: &str) -> &'v Value {
    pm["sections"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap_or_else(|| panic!("no {key} in {pm}"))
}

/// The keys of the sections that must be written before review.
fn required_keys(pm: &Value) -> Vec<String> {
    pm["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["required"] == true)
        .map(|s| s["key"].as_str().unwrap().to_string())
        .collect()
}

/// Saves one section on top of whatever version it has now; the save must succeed.
async fn edit(api: &Api<'_>, inc: i64, key: &str, body: &str) {
    let pm = postmortem(api, inc).await;
    let version = section(&pm, key)["version"].as_i64().unwrap();
    let (status, saved) = put_section(api, inc, key, body, version).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
}

/// Writes every required section: the summary gets `summary`, the others a plain sentence.
pub(crate) async fn write_required(api: &Api<'_>, inc: i64, summary: &str) {
    let pm = postmortem(api, inc).await;
    for key in required_keys(&pm) {
        let body = if key == "summary" { summary.to_string() } else { format!("Written down for {key}.") };
        edit(api, inc, &key, &body).await;
    }
}

async fn action(api: &Api<'_>, inc: i64, what: &str, body: Value) -> (StatusCode, Value) {
    api.post(&format!("/incidents/{inc}/postmortem/{what}"), body).await
}

/// An action that must succeed; returns the postmortem.
pub(crate) async fn act(api: &Api<'_>, inc: i64, what: &str, body: Value) -> Value {
    let (status, pm) = action(api, inc, what, body).await;
    assert_eq!(status, StatusCode::OK, "{what}: {pm}");
    pm
}

/// Declares an incident and takes its postmortem all the way to publication as an admin, who wrote
/// it and so publishes with a stated reason (no one else reviewed it).
pub async fn publish_new(admin: &Api<'_>, declare: Value, summary: &str) -> i64 {
    let inc = id(&admin.declare(declare).await);
    let (status, pm) = admin.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    write_required(admin, inc, summary).await;
    act(admin, inc, "submit", json!({})).await;
    let pm = act(admin, inc, "publish", json!({"override_reason": "Small team: no one else was involved"})).await;
    assert_eq!(pm["status"], "published", "{pm}");
    inc
}

async fn library(api: &Api<'_>, query: &str) -> Vec<Value> {
    let (status, list) = api.get(&format!("/library{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {list}");
    list.as_array().unwrap_or_else(|| panic!("library is not an array: {list}")).clone()
}

fn ids(entries: &[Value]) -> Vec<i64> {
    entries.iter().map(|e| e["incident_id"].as_i64().unwrap()).collect()
}

async fn put_settings(api: &Api<'_>, body: Value) -> (StatusCode, Value) {
    read(api.request(Method::PUT, "/settings").json(&body)).await
}

#[sqlx::test(migrations = "./migrations")]
async fn a_postmortem_is_reviewed_then_published_and_closes_its_incident(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { user: grace_user, token: grace } = app.member("grace@example.com", "Grace").await;
    let Account { token: linus, .. } = app.member("linus@example.com", "Linus").await;
    let Account { token: rita, .. } = app.reader("rita@example.com", "Rita").await;
    let (a, g, l) = (Api::new(&app, &ada), Api::new(&app, &grace), Api::new(&app, &linus));
    let rita_id = Api::new(&app, &rita).get("/me").await.1["id"].as_i64().unwrap();
    let inc = id(&l.declare_titled("Checkout down").await);
    let (status, pm) = l.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    let required = required_keys(&pm);
    assert!(required.contains(&"summary".to_string()), "{required:?}");

    // Nothing written yet: every required section is named, and only those.
    let res = action(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    expect_field_error(&res, "sections.summary");
    let fields = res.1["error"]["fields"].as_object().unwrap();
    for key in &required {
        assert!(fields.contains_key(&format!("sections.{key}")), "no sections.{key} in {fields:?}");
    }
    assert_eq!(fields.len(), required.len(), "{fields:?}");
    assert_eq!(postmortem(&l, inc).await["status"], "draft");

    write_required(&l, inc, "Checkout failed for twenty minutes.").await;
    let res = action(&l, inc, "submit", json!({"reviewers": [999_999]})).await;
    expect_field_error(&res, "reviewers");
    let res = action(&l, inc, "submit", json!({"reviewers": [rita_id]})).await;
    expect_field_error(&res, "reviewers");
    assert_eq!(postmortem(&l, inc).await["status"], "draft", "a refused submission changes nothing");

    let pm = act(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    assert_eq!(pm["status"], "in_review");
    assert_eq!(pm["reviewers"], json!([{"user": {"id": grace_user.id, "name": "Grace"}, "decision": "pending"}]));
    expect_error(&action(&l, inc, "submit", json!({})).await, 409, "conflict");

    expect_error(&action(&l, inc, "approve", json!({})).await, 403, "forbidden");
    expect_field_error(&action(&g, inc, "publish", json!({})).await, "override_reason");
    assert_eq!(postmortem(&g, inc).await["status"], "in_review", "nothing published before approval");

    expect_field_error(&action(&g, inc, "request-changes", json!({})).await, "comment");
    expect_field_error(&action(&g, inc, "request-changes", json!({"comment": "   "})).await, "comment");
    let pm = act(&g, inc, "request-changes", json!({"comment": "Impact needs numbers", "section": "impact"})).await;
    assert_eq!(pm["status"], "draft");
    let comments = pm["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["body"], "Impact needs numbers");
    assert_eq!(comments[0]["section"], "impact");
    assert_eq!(comments[0]["author"], json!({"id": grace_user.id, "name": "Grace"}));
    assert_eq!(pm["reviewers"][0]["decision"], "changes_requested");
    expect_error(&action(&g, inc, "approve", json!({})).await, 409, "conflict");
    expect_error(&action(&g, inc, "publish", json!({})).await, 409, "conflict");
    // Naming oneself as the reviewer is refused.
    let linus_id = l.get("/me").await.1["id"].as_i64().unwrap();
    expect_field_error(&action(&l, inc, "submit", json!({"reviewers": [linus_id]})).await, "reviewers");

    edit(&l, inc, "impact", "About 12,000 checkouts failed over 20 minutes.").await;
    let pm = act(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    assert_eq!(pm["status"], "in_review");
    assert_eq!(pm["reviewers"][0]["decision"], "pending", "a new round starts undecided");
    let pm = act(&g, inc, "approve", json!({})).await;
    assert_eq!(pm["status"], "in_review", "approval alone does not publish");
    assert_eq!(pm["reviewers"][0]["decision"], "approved");

    let pm = act(&g, inc, "publish", json!({})).await;
    assert_eq!(pm["status"], "published");
    assert_eq!(pm["published_url"], format!("/library/INC-{inc}"));
    time(&pm["published_at"]);
    assert_eq!(postmortem(&a, inc).await["status"], "published");

    let incident = a.incident(inc).await;
    assert_eq!(incident["status"], "closed", "{incident}");
    let timeline = a.timeline(inc).await;
    assert!(timeline.iter().any(|e| e["kind"] == "status" && e["to"] == "closed"), "no closing event in {timeline:?}");

    let entries = library(&a, "").await;
    assert_eq!(ids(&entries), [inc]);
    assert_eq!(entries[0]["revision"], 1);
    assert_eq!(entries[0]["ref"], format!("INC-{inc}"));
    assert_eq!(entries[0]["url"], format!("/library/INC-{inc}"));

    // A revised write-up goes through review again, then is published as a new revision.
    edit(&l, inc, "summary", "Checkout failed for twenty minutes; card payments were retried.").await;
    expect_error(&action(&g, inc, "publish", json!({})).await, 409, "conflict");
    act(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    expect_field_error(&action(&g, inc, "publish", json!({})).await, "override_reason");
    act(&g, inc, "approve", json!({})).await;
    let pm = act(&g, inc, "publish", json!({})).await;
    assert_eq!(pm["status"], "published");
    let entries = library(&a, "").await;
    assert_eq!(ids(&entries), [inc], "one entry per incident");
    assert_eq!(entries[0]["revision"], 2);
    assert_eq!(a.incident(inc).await["status"], "closed");
    let closings = a.timeline(inc).await.iter().filter(|e| e["to"] == "closed").count();
    assert_eq!(closings, 1, "republishing does not close the incident twice");
}

#[sqlx::test(migrations = "./migrations")]
async fn only_reviewers_and_admins_publish(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { user: grace_user, token: grace } = app.member("grace@example.com", "Grace").await;
    let Account { token: linus, .. } = app.member("linus@example.com", "Linus").await;
    let Account { token: rita, .. } = app.reader("rita@example.com", "Rita").await;
    let (a, g, l, r) = (Api::new(&app, &ada), Api::new(&app, &grace), Api::new(&app, &linus), Api::new(&app, &rita));
    let inc = id(&l.declare_titled("Search slow").await);
    l.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    write_required(&l, inc, "Search was slow.").await;
    act(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    act(&g, inc, "approve", json!({})).await;

    expect_error(&action(&l, inc, "publish", json!({})).await, 403, "forbidden");
    expect_error(&action(&r, inc, "publish", json!({})).await, 403, "forbidden");
    assert_eq!(postmortem(&a, inc).await["status"], "in_review");
    assert_eq!(a.incident(inc).await["status"], "investigating", "a refused publication closes nothing");

    let pm = act(&a, inc, "publish", json!({})).await;
    assert_eq!(pm["status"], "published", "an admin publishes without being a named reviewer");
    expect_error(&action(&l, inc, "publish", json!({})).await, 403, "forbidden");
    act(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    act(&g, inc, "approve", json!({})).await;
    act(&g, inc, "publish", json!({})).await;
    assert_eq!(library(&a, "").await[0]["revision"], 2);
}

#[sqlx::test(migrations = "./migrations")]
async fn authors_cannot_approve_their_own_write_up(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { user: grace_user, token: grace } = app.member("grace@example.com", "Grace").await;
    let Account { user: linus_user, token: linus } = app.member("linus@example.com", "Linus").await;
    let (a, g, l) = (Api::new(&app, &ada), Api::new(&app, &grace), Api::new(&app, &linus));
    let inc = id(&l.declare_titled("Search slow").await);
    l.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    write_required(&l, inc, "Search was slow.").await;
    // Grace co-writes a section, then is named reviewer: her approval is not independent.
    edit(&g, inc, "summary", "Search was slow for an hour.").await;
    act(&l, inc, "submit", json!({"reviewers": [grace_user.id]})).await;
    let refused = expect_error(&action(&g, inc, "approve", json!({})).await, 403, "forbidden");
    assert!(refused["message"].as_str().unwrap().contains("independent"), "{refused}");
    assert!(expect_field_error(&action(&g, inc, "publish", json!({})).await, "override_reason")
        .contains("someone who did not write"));

    // A member cannot override; an admin can, with a bounded reason, shown on the publication.
    expect_error(&action(&g, inc, "publish", json!({"override_reason": "trust me"})).await, 403, "forbidden");
    let long = "x".repeat(2001);
    expect_field_error(&action(&a, inc, "publish", json!({"override_reason": long})).await, "override_reason");
    assert_eq!(postmortem(&a, inc).await["status"], "in_review", "nothing was published");
    let pm = act(
        &a,
        inc,
        "publish",
        json!({"override_reason": "Both reviewers wrote it; the SRE lead signed off by phone"}),
    )
    .await;
    assert_eq!(pm["status"], "published");
    let entry = &library(&a, "").await[0];
    assert_eq!(entry["override_reason"], "Both reviewers wrote it; the SRE lead signed off by phone");
    let http = crate::pages::sign_in_as(&app, "ada@example.com").await;
    let (_, html) = crate::pages::page(&http, &app, &format!("/library/INC-{inc}")).await;
    assert!(html.contains("data-testid=\"override-reason\"") && html.contains("signed off by phone"), "{html}");

    // An independent reviewer's approval needs no reason, and none is recorded.
    edit(&l, inc, "impact", "Searches took 8 s at p95.").await;
    let (_, ada_id) = (linus_user.id, a.get("/me").await.1["id"].as_i64().unwrap());
    act(&l, inc, "submit", json!({"reviewers": [ada_id]})).await;
    act(&a, inc, "approve", json!({})).await;
    act(&a, inc, "publish", json!({})).await;
    assert_eq!(library(&a, "").await[0]["override_reason"], Value::Null);
}

#[sqlx::test(migrations = "./migrations")]
async fn readers_read_but_change_nothing(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: rita, .. } = app.reader("rita@example.com", "Rita").await;
    let (a, r) = (Api::new(&app, &ada), Api::new(&app, &rita));
    let incident = a.declare_titled("Checkout down").await;
    let inc = id(&incident);
    let other = id(&a.declare_titled("Search slow").await);
    a.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;

    let (status, me) = r.get("/me").await;
    assert_eq!((status, me["role"].as_str()), (StatusCode::OK, Some("reader")));
    let (status, list) = r.get("/incidents").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(r.incident(inc).await, incident);
    r.timeline(inc).await;
    let pm = postmortem(&r, inc).await;
    assert_eq!(pm["status"], "draft");
    let (status, _) = r.get(&format!("/incidents/{inc}/postmortem/sections/summary/revisions")).await;
    assert_eq!(status, StatusCode::OK);
    library(&r, "").await;

    expect_error(&r.post("/incidents", json!({"title": "Sneaky", "severity": "SEV1"})).await, 403, "forbidden");
    let res =
        r.patch(&format!("/incidents/{inc}"), json!({"version": incident["version"], "status": "resolved"})).await;
    expect_error(&res, 403, "forbidden");
    expect_error(&r.note(inc, json!({"body": "sneaky note"})).await, 403, "forbidden");
    expect_error(&r.post(&format!("/incidents/{other}/postmortem"), json!({})).await, 403, "forbidden");
    expect_error(&put_section(&r, inc, "summary", "Sneaky summary", 0).await, 403, "forbidden");
    expect_error(&action(&r, inc, "comments", json!({"comment": "Sneaky"})).await, 403, "forbidden");
    expect_error(&action(&r, inc, "submit", json!({})).await, 403, "forbidden");
    expect_error(&r.post(&format!("/incidents/{inc}/close"), json!({"reason": "Sneaky"})).await, 403, "forbidden");
    expect_error(&put_settings(&r, json!({"public_url": "http://x.test"})).await, 403, "forbidden");

    assert_eq!(a.incident(inc).await, incident, "the incident is unchanged");
    assert_eq!(a.timeline(inc).await.len(), r.timeline(inc).await.len());
    let (status, _) = a.get(&format!("/incidents/{other}/postmortem")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no postmortem was started");
    let pm = postmortem(&a, inc).await;
    assert_eq!(section(&pm, "summary")["body"], "");
    assert_eq!(pm["comments"], json!([]));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_resolved_incident_can_be_closed_without_a_postmortem(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &ada);
    let incident = api.declare_titled("Brief blip").await;
    let inc = id(&incident);
    let path = format!("/incidents/{inc}/close");
    let close = |body: Value| api.post(&path, body);

    expect_field_error(&close(json!({"reason": ""})).await, "reason");
    expect_field_error(&close(json!({"reason": "   "})).await, "reason");
    expect_field_error(&close(json!({})).await, "reason");
    expect_field_error(&close(json!({"reason": "Self-healed within a minute"})).await, "status");
    assert_eq!(api.incident(inc).await["status"], "investigating");

    api.change(&incident, json!({"status": "resolved"})).await;
    let (status, closed) = close(json!({"reason": "Self-healed within a minute"})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(api.incident(inc).await, closed);
    let timeline = api.timeline(inc).await;
    let event = timeline
        .iter()
        .find(|e| e["body"].as_str().unwrap_or_default().contains("Self-healed within a minute"))
        .unwrap_or_else(|| panic!("no event with the reason in {timeline:?}"));
    assert_eq!((event["kind"].as_str(), event["to"].as_str()), (Some("status"), Some("closed")), "{event}");

    expect_field_error(&close(json!({"reason": "Again"})).await, "status");
    expect_error(&api.post("/incidents/999999/close", json!({"reason": "No such"})).await, 404, "not_found");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_library_lists_searches_and_filters_publications(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &ada);
    let first = publish_new(
        &api,
        json!({"title": "Checkout down", "severity": "SEV1", "services": ["checkout"]}),
        "A flamingo-shaped load spike took checkout down.",
    )
    .await;
    let second = publish_new(
        &api,
        json!({"title": "Search slow", "severity": "SEV2", "services": ["search"]}),
        "An index rebuild made search slow.",
    )
    .await;
    let third = publish_new(
        &api,
        json!({"title": "Payments retried", "severity": "SEV3", "services": ["payments", "checkout"]}),
        "Card payments were retried twice.",
    )
    .await;
    // Written but never published: the library does not see it.
    let draft = id(&api.declare(json!({"title": "Draft only", "severity": "SEV1", "services": ["checkout"]})).await);
    api.post(&format!("/incidents/{draft}/postmortem"), json!({})).await;
    edit(&api, draft, "summary", "A zeppelin crossed the data centre.").await;

    let all = library(&api, "").await;
    assert_eq!(ids(&all), [third, second, first], "newest first");
    let entry = &all[2];
    assert_eq!(entry["ref"], format!("INC-{first}"));
    assert_eq!(entry["title"], "Checkout down");
    assert_eq!(entry["severity"], "SEV1");
    assert_eq!(entry["services"], json!(["checkout"]));
    assert_eq!(entry["revision"], 1);
    assert_eq!(entry["published_by"], "Ada");
    assert_eq!(entry["url"], format!("/library/INC-{first}"));
    let published = time(&entry["published_at"]);

    assert_eq!(ids(&library(&api, "?q=flamingo").await), [first]);
    assert_eq!(ids(&library(&api, "?q=rebuild").await), [second]);
    assert_eq!(ids(&library(&api, "?q=zeppelin").await), Vec::<i64>::new(), "drafts are not searched");
    assert_eq!(ids(&library(&api, "?q=").await), [third, second, first], "an empty search is no filter");

    assert_eq!(ids(&library(&api, "?severity=SEV1").await), [first]);
    assert_eq!(ids(&library(&api, "?severity=SEV4").await), Vec::<i64>::new());
    assert_eq!(ids(&library(&api, "?service=checkout").await), [third, first]);
    assert_eq!(ids(&library(&api, "?service=search").await), [second]);
    assert_eq!(ids(&library(&api, "?service=checkout&severity=SEV3").await), [third]);

    let month = published.format("%Y-%m").to_string();
    let year_before = format!("{}-{:02}", published.year() - 1, published.month());
    let in_month = ids(&library(&api, &format!("?month={month}")).await);
    assert!(in_month.contains(&first), "{month}: {in_month:?}");
    assert_eq!(ids(&library(&api, &format!("?month={year_before}")).await), Vec::<i64>::new(), "{year_before}");

    expect_field_error(&api.get("/library?month=bad").await, "month");
    expect_field_error(&api.get("/library?month=2026-13").await, "month");
    expect_field_error(&api.get("/library?severity=SEV9").await, "severity");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_feed_needs_a_session_or_a_token(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &ada);
    let inc = publish_new(&api, json!({"title": "Checkout down", "severity": "SEV2"}), "Checkout failed.").await;
    let http = reqwest::Client::new();

    let res = http.get(app.url("/library/feed.xml")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http.get(app.url("/library/feed.xml?token=not-a-token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A full API token does not work there: only a feed token does.
    let res = http.get(app.url(&format!("/library/feed.xml?token={ada}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let feed = crate::common::token_for(&app.pool, "ada@example.com", "feed").await;
    let res = http.get(app.url(&format!("/library/feed.xml?token={feed}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/atom+xml"), "{content_type}");
    let xml = res.text().await.unwrap();
    let entry_at = xml.find("<entry>").unwrap_or_else(|| panic!("no entry in {xml}"));
    let entry = &xml[entry_at..];
    assert!(entry.contains("Checkout down") && entry.contains(&format!("INC-{inc}")), "{xml}");
}

#[sqlx::test(migrations = "./migrations")]
async fn publishing_is_announced_to_the_destinations_that_ask(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: grace, .. } = app.member("grace@example.com", "Grace").await;
    let (a, g) = (Api::new(&app, &ada), Api::new(&app, &grace));
    let (hook, mut messages) = crate::support::webhook_receiver().await;

    // No destination yet: publishing still works.
    let quiet = publish_new(&a, json!({"title": "Search slow", "severity": "SEV3"}), "Search was slow.").await;
    assert_eq!(a.incident(quiet).await["status"], "closed");

    // The public address, for links; the webhook of before is a destination now, and said so.
    let settings = json!({"public_url": "http://debrief.test"});
    expect_error(&put_settings(&g, settings.clone()).await, 403, "forbidden");
    expect_error(&g.get("/settings").await, 403, "forbidden");
    let res = put_settings(&a, json!({"public_url": "debrief.test"})).await;
    expect_field_error(&res, "public_url");
    let res = put_settings(&a, json!({"webhook_url": hook, "public_url": "http://debrief.test"})).await;
    assert!(expect_field_error(&res, "webhook_url").contains("destination"));
    assert_eq!(a.get("/settings").await.1["public_url"], "http://127.0.0.1:3000", "a refused change saves nothing");
    let (status, saved) = put_settings(&a, settings.clone()).await;
    let expected = json!({"public_url": "http://debrief.test", "status_page_public": false});
    assert_eq!((status, &saved), (StatusCode::OK, &expected), "{saved}");
    assert_eq!(a.get("/settings").await.1, expected);
    let rules = json!({"kind": "slack", "name": "#postmortems", "url": hook, "events": ["published"]});
    assert_eq!(a.post("/destinations", rules).await.0, StatusCode::CREATED);

    let inc = publish_new(&a, json!({"title": "Checkout down", "severity": "SEV1"}), "Checkout failed.").await;
    let message = tokio::time::timeout(Duration::from_secs(20), messages.recv())
        .await
        .expect("no webhook message arrived")
        .expect("receiver closed");
    let text = message["text"].as_str().unwrap_or_else(|| panic!("no text in {message}"));
    assert!(text.contains(&format!("INC-{inc} Checkout down: postmortem published")), "{message}");
    assert_eq!(message["blocks"][1]["text"]["text"], "Checkout failed.", "the summary: {message}");
    let link = format!("http://debrief.test/library/INC-{inc}");
    assert!(message.to_string().contains(&link), "no {link} in {message}");
}

#[sqlx::test(migrations = "./migrations")]
async fn reviewers_are_typed_by_name_or_email(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { user: grace, .. } = app.member("grace@example.com", "Grace").await;
    let Account { user: linus, .. } = app.member("linus@example.com", "Linus").await;
    let a = Api::new(&app, &ada);
    let inc = id(&a.declare_titled("Checkout down").await);
    a.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    write_required(&a, inc, "Checkout failed for twenty minutes.").await;

    // The page's form is one text field, never a list of everyone.
    let http = crate::pages::sign_in_as(&app, "ada@example.com").await;
    let (_, html) = crate::pages::page(&http, &app, &format!("/incidents/INC-{inc}/postmortem")).await;
    assert!(html.contains("name=\"reviewers\""), "a reviewers field on the draft's page");
    assert!(!html.contains("Linus"), "nobody is listed: {html}");

    // The API takes names and emails beside ids; nobody by that name is a field error.
    expect_field_error(&action(&a, inc, "submit", json!({"reviewers": ["Nobody Here"]})).await, "reviewers");
    let crowd: Vec<String> = (0..21).map(|n| format!("person{n}@example.com")).collect();
    expect_field_error(&action(&a, inc, "submit", json!({"reviewers": crowd})).await, "reviewers");
    let pm = act(&a, inc, "submit", json!({"reviewers": ["GRACE@example.com", linus.id, "Grace"]})).await;
    let ids: Vec<i64> = pm["reviewers"].as_array().unwrap().iter().map(|r| r["user"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "Grace once, however she was named: {pm}");
    assert!(ids.contains(&grace.id) && ids.contains(&linus.id), "{pm}");

    // The same field posted as a browser without JavaScript does.
    let second = id(&a.declare_titled("Search slow").await);
    a.post(&format!("/incidents/{second}/postmortem"), json!({})).await;
    write_required(&a, second, "Search was slow.").await;
    let path = format!("/incidents/INC-{second}/postmortem");
    let (_, html) = crate::pages::page(&http, &app, &path).await;
    let action = crate::pages::form_action(&html, "submit_postmortem");
    let second_id = second.to_string();
    let fields = [("id", second_id.as_str()), ("reviewers", "Linus, grace@example.com")];
    let res = crate::pages::post_form(&http, &app, &action, &path, &app.base, &fields).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let pm = postmortem(&a, second).await;
    assert_eq!(pm["status"], "in_review", "{pm}");
    assert_eq!(pm["reviewers"].as_array().unwrap().len(), 2, "{pm}");
}
