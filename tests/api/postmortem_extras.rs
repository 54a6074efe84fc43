use crate::common::{spawn, Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, read, rfc3339, Api};
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

/// Declares an incident that started two hours ago, with its postmortem started.
async fn incident_with_postmortem(api: &Api<'_>, title: &str) -> (i64, DateTime<Utc>) {
    let started = Utc::now() - Duration::hours(2);
    let inc = id(&api.declare(json!({"title": title, "severity": "SEV2", "started_at": rfc3339(started)})).await);
    let (status, pm) = api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    (inc, started)
}

/// Adds a timeline note at `at`, marked with `key` (or not), and returns its id.
async fn note_at(api: &Api<'_>, inc: i64, body: &str, key: Option<&str>, at: DateTime<Utc>) -> i64 {
    let (status, note) = api.note(inc, json!({"body": body, "key": key, "occurred_at": rfc3339(at)})).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    id(&note)
}

async fn toggle(api: &Api<'_>, inc: i64, event: &str, body: Value) -> (StatusCode, Value) {
    read(api.request(Method::PUT, &format!("/incidents/{inc}/postmortem/timeline/{event}")).json(&body)).await
}

async fn add_factor(api: &Api<'_>, inc: i64, factor: &str, category: &str) -> (StatusCode, Value) {
    api.post(&format!("/incidents/{inc}/postmortem/factors"), json!({"factor": factor, "category": category})).await
}

async fn remove_factor(api: &Api<'_>, inc: i64, factor: &str) -> (StatusCode, Value) {
    read(api.request(Method::DELETE, &format!("/incidents/{inc}/postmortem/factors/{factor}"))).await
}

async fn markdown(api: &Api<'_>, inc: i64) -> String {
    let res = api.request(Method::GET, &format!("/incidents/{inc}/postmortem.md")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

fn included(pm: &Value) -> Vec<(i64, bool)> {
    pm["timeline"]
        .as_array()
        .unwrap_or_else(|| panic!("no timeline in {pm}"))
        .iter()
        .map(|t| (t["event_id"].as_i64().unwrap(), t["included"].as_bool().unwrap()))
        .collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn key_events_fill_the_timeline_section_and_each_can_be_left_out(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (inc, started) = incident_with_postmortem(&api, "Checkout down").await;
    let plain = note_at(&api, inc, "Looking at dashboards", None, started + Duration::minutes(1)).await;
    let mitigation =
        note_at(&api, inc, "Rolled back deploy 42", Some("mitigation"), started + Duration::minutes(30)).await;
    let trigger = note_at(&api, inc, "Deploy 42 rolled out", Some("trigger"), started + Duration::minutes(5)).await;

    let (status, pm) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(included(&pm), [(trigger, true), (mitigation, true)], "key events only, in time order");
    assert!(included(&pm).iter().all(|(e, _)| *e != plain), "plain notes are not key events");
    let first = &pm["timeline"][0];
    assert_eq!((first["kind"].as_str(), first["text"].as_str()), (Some("trigger"), Some("Deploy 42 rolled out")));
    assert!(first["at"].is_string());
    assert!(markdown(&api, inc).await.contains("Rolled back deploy 42"));

    let (status, pm) = toggle(&api, inc, &mitigation.to_string(), json!({"include": false})).await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    assert_eq!(included(&pm), [(trigger, true), (mitigation, false)]);
    let md = markdown(&api, inc).await;
    assert!(!md.contains("Rolled back deploy 42") && md.contains("Deploy 42 rolled out"), "{md}");
    let (status, pm) = toggle(&api, inc, &mitigation.to_string(), json!({"include": false})).await;
    assert_eq!(status, StatusCode::OK, "leaving out twice is fine");
    assert_eq!(included(&pm), [(trigger, true), (mitigation, false)]);

    let (status, pm) = toggle(&api, inc, &mitigation.to_string(), json!({"include": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(included(&pm), [(trigger, true), (mitigation, true)]);
    assert!(markdown(&api, inc).await.contains("Rolled back deploy 42"));
}

#[sqlx::test(migrations = "./migrations")]
async fn timeline_choices_are_checked(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: rita, .. } = app.reader("rita@example.com", "Rita").await;
    let (a, r) = (Api::new(&app, &ada), Api::new(&app, &rita));
    let (inc, started) = incident_with_postmortem(&a, "Checkout down").await;
    let trigger = note_at(&a, inc, "Deploy", Some("trigger"), started + Duration::minutes(5)).await;
    let plain = note_at(&a, inc, "Just a note", None, started + Duration::minutes(6)).await;
    let (other, _) = incident_with_postmortem(&a, "Search slow").await;
    let elsewhere = note_at(&a, other, "Other deploy", Some("trigger"), started).await;
    let out = json!({"include": false});

    expect_error(&toggle(&a, inc, &plain.to_string(), out.clone()).await, 404, "not_found");
    expect_error(&toggle(&a, inc, &elsewhere.to_string(), out.clone()).await, 404, "not_found");
    expect_error(&toggle(&a, inc, "999999", out.clone()).await, 404, "not_found");
    expect_error(&toggle(&a, inc, "abc", out.clone()).await, 404, "not_found");
    expect_error(&toggle(&r, inc, &trigger.to_string(), out.clone()).await, 403, "forbidden");
    expect_error(&toggle(&a, inc, &trigger.to_string(), json!({})).await, 422, "invalid");
    expect_error(&toggle(&a, inc, &trigger.to_string(), json!({"include": "maybe"})).await, 422, "invalid");

    let not_started = id(&a.declare_titled("No write-up").await);
    let event = note_at(&a, not_started, "Deploy", Some("trigger"), Utc::now() - Duration::minutes(1)).await;
    expect_error(&toggle(&a, not_started, &event.to_string(), out.clone()).await, 404, "not_found");

    let (_, pm) = a.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(included(&pm), [(trigger, true)], "nothing changed");
}

#[sqlx::test(migrations = "./migrations")]
async fn time_to_detect_runs_from_the_trigger_to_the_first_detection(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (inc, started) = incident_with_postmortem(&api, "Checkout down").await;
    let path = format!("/incidents/{inc}/postmortem");

    let (_, pm) = api.get(&path).await;
    assert!(pm["time_to_detect_seconds"].is_null(), "no detection yet: {pm}");
    assert!(!markdown(&api, inc).await.contains("Time to detect"));

    // Without a trigger, from the incident's start.
    note_at(&api, inc, "Pager went off", Some("detection"), started + Duration::minutes(20)).await;
    let (_, pm) = api.get(&path).await;
    assert_eq!(pm["time_to_detect_seconds"], 20 * 60);

    note_at(&api, inc, "Deploy 42 rolled out", Some("trigger"), started + Duration::minutes(5)).await;
    note_at(&api, inc, "Error-rate alert", Some("detection"), started + Duration::seconds(17 * 60 + 30)).await;
    let (_, pm) = api.get(&path).await;
    assert_eq!(pm["time_to_detect_seconds"], 12 * 60 + 30);
    let md = markdown(&api, inc).await;
    assert!(md.contains("## Detection\n\nTime to detect: 12m 30s\n"), "{md}");
}

#[sqlx::test(migrations = "./migrations")]
async fn contributing_factors_are_a_list_with_categories(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (inc, _) = incident_with_postmortem(&api, "Checkout down").await;

    let (status, pm) = add_factor(&api, inc, "  No canary stage for config pushes ", "process").await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    let (status, pm) = add_factor(&api, inc, "Payment provider retries amplified load", "external_dependency").await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    let factors = pm["contributing_factors"].as_array().unwrap().clone();
    assert_eq!(factors.len(), 2);
    assert_eq!(factors[0]["factor"], "No canary stage for config pushes");
    assert_eq!(factors[0]["category"], "process");
    assert_eq!(factors[1]["category"], "external_dependency");
    assert!(pm["blameless_flags"].as_array().unwrap().is_empty(), "{pm}");

    let md = markdown(&api, inc).await;
    let table = "## Contributing factors\n\n| Factor | Category |\n| --- | --- |\n\
                 | No canary stage for config pushes | Process |\n\
                 | Payment provider retries amplified load | External dependency |\n";
    assert!(md.contains(table), "{md}");

    let (status, pm) = remove_factor(&api, inc, &id(&factors[0]).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    let left: Vec<&str> =
        pm["contributing_factors"].as_array().unwrap().iter().map(|f| f["factor"].as_str().unwrap()).collect();
    assert_eq!(left, ["Payment provider retries amplified load"]);
    let (_, pm) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(pm["contributing_factors"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn blaming_factors_are_flagged_and_bad_ones_refused(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin_named(pool, "Ada Lovelace").await;
    let Account { token: rita, .. } = app.reader("rita@example.com", "Rita").await;
    let (a, r) = (Api::new(&app, &ada), Api::new(&app, &rita));
    let (inc, _) = incident_with_postmortem(&a, "Checkout down").await;

    let (status, pm) = add_factor(&a, inc, "Human error: the engineer should have checked", "process").await;
    assert_eq!(status, StatusCode::CREATED, "flags never block: {pm}");
    let flags = pm["blameless_flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f["section"] == "contributing_factors" && f["rule"] == "human_error"), "{flags:?}");
    assert!(flags.iter().all(|f| f["section"] == "contributing_factors" && f["suggestion"].is_string()));

    assert!(expect_field_error(&add_factor(&a, inc, "Muted alerts", "person").await, "category").contains("process"));
    expect_field_error(&add_factor(&a, inc, "Muted alerts", "").await, "category");
    expect_field_error(&add_factor(&a, inc, "   ", "technology").await, "factor");
    expect_field_error(&add_factor(&a, inc, &"x".repeat(501), "technology").await, "factor");
    let both = expect_error(&add_factor(&a, inc, "", "people").await, 422, "invalid");
    assert!(both["fields"]["factor"].is_string() && both["fields"]["category"].is_string(), "{both}");
    let (status, _) = add_factor(&a, inc, &"é".repeat(500), "environment").await;
    assert_eq!(status, StatusCode::CREATED, "500 characters is the limit, not 500 bytes");
    expect_error(&add_factor(&r, inc, "Muted alerts", "technology").await, 403, "forbidden");
    let not_started = id(&a.declare_titled("No write-up").await);
    expect_error(&add_factor(&a, not_started, "Muted alerts", "technology").await, 404, "not_found");

    let (_, pm) = a.get(&format!("/incidents/{inc}/postmortem")).await;
    let first = id(&pm["contributing_factors"][0]).to_string();
    let (other, _) = incident_with_postmortem(&a, "Search slow").await;
    expect_error(&remove_factor(&a, other, &first).await, 404, "not_found");
    expect_error(&remove_factor(&r, inc, &first).await, 403, "forbidden");
    expect_error(&remove_factor(&a, inc, "999999").await, 404, "not_found");
    expect_error(&remove_factor(&a, inc, "abc").await, 404, "not_found");
    let (_, pm) = a.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(pm["contributing_factors"].as_array().unwrap().len(), 2, "nothing removed");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_editor_page_offers_key_events_time_to_detect_and_factors_without_javascript(pool: PgPool) {
    use crate::pages::{form_action, page, post_form, signed_in};
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let token = crate::common::token_for(&app.pool, "ada@example.com", "write").await;
    let api = Api::new(&app, &token);
    let (inc, started) = incident_with_postmortem(&api, "Checkout down").await;
    let trigger = note_at(&api, inc, "Deploy 42 rolled out", Some("trigger"), started + Duration::minutes(5)).await;
    note_at(&api, inc, "Error-rate alert", Some("detection"), started + Duration::seconds(17 * 60 + 30)).await;
    let path = format!("/incidents/INC-{inc}/postmortem");

    let (status, html) = page(&http, &app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("Time to detect: 12m 30s"), "{html}");
    assert!(html.contains("Deploy 42 rolled out") && html.contains("Leave out"), "{html}");
    assert!(html.contains("Add factor") && html.contains("External dependency"), "{html}");

    let action = form_action(&html, "toggle_timeline_event");
    let form = [("id", inc.to_string()), ("event_id", trigger.to_string()), ("include", "false".to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_form(&http, &app, &action, &path, &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, pm) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(pm["timeline"][0]["included"], false);
    let (_, html) = page(&http, &app, &path).await;
    assert!(html.contains(">Include<"), "{html}");

    let action = form_action(&html, "add_contributing_factor");
    let id_text = inc.to_string();
    let form = [("id", id_text.as_str()), ("factor", "Config pushes skip the canary"), ("category", "process")];
    let res = post_form(&http, &app, &action, &path, &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, html) = page(&http, &app, &path).await;
    assert!(html.contains("Config pushes skip the canary") && html.contains(">Remove<"), "{html}");
}

#[sqlx::test(migrations = "./migrations")]
async fn structured_factors_count_as_a_written_section(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let Account { user: grace, .. } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    // Every required section written except the factors' free text.
    crate::reviews::write_required(&api, inc, "Checkout failed.").await;
    let (_, pm) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    let factors = pm["sections"].as_array().unwrap().iter().find(|s| s["key"] == "contributing_factors").unwrap();
    assert_eq!(factors["required"], true, "the default template requires the factors: {factors}");
    let version = factors["version"].as_i64().unwrap();
    let body = json!({"body": "", "version": version});
    let path = format!("/incidents/{inc}/postmortem/sections/contributing_factors");
    let (status, out) = read(api.request(Method::PUT, &path).json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let submit_path = format!("/incidents/{inc}/postmortem/submit");
    expect_field_error(
        &api.post(&submit_path, json!({"reviewers": [grace.id]})).await,
        "sections.contributing_factors",
    );

    // One factor in the structured list fills the section.
    let (status, out) = add_factor(&api, inc, "The retry storm had no backoff", "technology").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, pm) = api.post(&submit_path, json!({"reviewers": [grace.id]})).await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    assert_eq!(pm["status"], "in_review");
}
