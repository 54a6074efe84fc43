use crate::common::{Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, kinds, read, time, Api};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn status_changes_bump_the_version_and_write_the_timeline(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV1"})).await;
    let path = format!("/incidents/{}", id(&inc));

    let (status, identified) = api.patch(&path, json!({"version": 1, "status": "identified"})).await;
    assert_eq!(status, StatusCode::OK, "{identified}");
    assert_eq!(identified["status"], "identified");
    assert_eq!(identified["version"], 2);
    assert_eq!(identified["title"], "Checkout down");
    assert_eq!(identified["severity"], "SEV1");
    assert_eq!(identified, api.incident(id(&inc)).await, "the response is what is stored");

    let monitoring = api.change(&identified, json!({"status": "MONITORING"})).await;
    assert_eq!(monitoring["status"], "monitoring");
    assert_eq!(monitoring["version"], 3);

    let events = api.timeline(id(&inc)).await;
    assert_eq!(kinds(&events), ["declared", "status", "status"]);
    assert_eq!(events[1]["from"], "investigating");
    assert_eq!(events[1]["to"], "identified");
    assert_eq!(events[2]["from"], "identified");
    assert_eq!(events[2]["to"], "monitoring");
    for e in &events[1..] {
        assert_eq!(e["author"], json!({"id": ada.id, "name": "Ada"}));
        assert_eq!(e["incident_id"], inc["id"]);
        assert!(e["key"].is_null());
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn severity_changes_are_recorded(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Slow search", "severity": "SEV3"})).await;
    let worse = api.change(&inc, json!({"severity": "sev1"})).await;
    assert_eq!(worse["severity"], "SEV1");
    assert_eq!(worse["status"], "investigating");
    assert_eq!(worse["version"], 2);

    let events = api.timeline(id(&inc)).await;
    assert_eq!(kinds(&events), ["declared", "severity"]);
    assert_eq!(events[0]["to"], "SEV3", "the declaration records the first severity");
    assert_eq!((&events[1]["from"], &events[1]["to"]), (&json!("SEV3"), &json!("SEV1")));
}

#[sqlx::test(migrations = "./migrations")]
async fn several_changes_in_one_patch(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV2", "summary": "old"})).await;
    let out = api
        .change(
            &inc,
            json!({"status": "identified", "severity": "SEV1", "title": "  Checkout 502s  ", "summary": "Bad deploy"}),
        )
        .await;
    assert_eq!(out["status"], "identified");
    assert_eq!(out["severity"], "SEV1");
    assert_eq!(out["title"], "Checkout 502s");
    assert_eq!(out["summary"], "Bad deploy");
    assert_eq!(out["version"], 2, "one change, one version");

    let events = api.timeline(id(&inc)).await;
    assert_eq!(kinds(&events), ["declared", "status", "severity", "title", "summary"]);
    assert_eq!(events[3]["from"], "Checkout down");
    assert_eq!(events[3]["to"], "Checkout 502s");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_patch_that_changes_nothing_keeps_the_version(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV2", "summary": "s"})).await;
    let same = api.change(&inc, json!({})).await;
    assert_eq!(same, inc);
    let same = api.change(&inc, json!({"severity": "SEV2", "title": "Checkout down", "summary": " s "})).await;
    assert_eq!(same, inc);
    let same = api.change(&inc, json!({"status": "", "severity": ""})).await;
    assert_eq!(same, inc, "blank status and severity mean no change");
    assert_eq!(kinds(&api.timeline(id(&inc)).await), ["declared"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn resolving_sets_resolved_at_and_reopening_clears_it(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    assert!(inc["resolved_at"].is_null());

    let resolved = api.change(&inc, json!({"status": "resolved"})).await;
    assert_eq!(resolved["status"], "resolved");
    let resolved_at = time(&resolved["resolved_at"]);
    assert!(resolved_at >= time(&resolved["started_at"]));
    assert_eq!(api.incident(id(&inc)).await["resolved_at"], resolved["resolved_at"]);

    // A severity change while resolved leaves the resolution time alone.
    let downgraded = api.change(&resolved, json!({"severity": "SEV4"})).await;
    assert_eq!(downgraded["resolved_at"], resolved["resolved_at"]);

    let reopened = api.change(&downgraded, json!({"status": "investigating"})).await;
    assert_eq!(reopened["status"], "investigating");
    assert!(reopened["resolved_at"].is_null(), "{reopened}");
    assert!(api.incident(id(&inc)).await["resolved_at"].is_null());

    let resolved_again = api.change(&reopened, json!({"status": "resolved"})).await;
    assert!(time(&resolved_again["resolved_at"]) >= resolved_at);

    let events = api.timeline(id(&inc)).await;
    let statuses: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["kind"] == "status")
        .map(|e| (e["from"].as_str().unwrap().into(), e["to"].as_str().unwrap().into()))
        .collect();
    let expected = [("investigating", "resolved"), ("resolved", "investigating"), ("investigating", "resolved")];
    assert_eq!(statuses, expected.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[sqlx::test(migrations = "./migrations")]
async fn every_allowed_transition_works(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let open = ["investigating", "identified", "monitoring", "resolved"];
    for from in open {
        for to in open.iter().filter(|t| **t != from) {
            let mut inc = api.declare_titled(&format!("{from} to {to}")).await;
            if from != "investigating" {
                inc = api.change(&inc, json!({"status": from})).await;
            }
            let out = api.change(&inc, json!({"status": to})).await;
            assert_eq!(out["status"], *to);
            assert_eq!(out["resolved_at"].is_null(), *to != "resolved", "{from} -> {to}: {out}");
        }
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn closing_by_a_status_change_is_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let path = format!("/incidents/{}", id(&inc));

    let res = api.patch(&path, json!({"version": 1, "status": "closed"})).await;
    assert!(expect_field_error(&res, "status").contains("postmortem"));

    let resolved = api.change(&inc, json!({"status": "resolved"})).await;
    let res = api.patch(&path, json!({"version": resolved["version"], "status": "closed"})).await;
    expect_field_error(&res, "status");

    // Nothing changed, not even the parts of the patch that were valid.
    let res = api.patch(&path, json!({"version": resolved["version"], "status": "closed", "severity": "SEV4"})).await;
    expect_field_error(&res, "status");
    assert_eq!(api.incident(id(&inc)).await, resolved);
    assert_eq!(kinds(&api.timeline(id(&inc)).await), ["declared", "status"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn moving_to_the_same_status_is_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let path = format!("/incidents/{}", id(&inc));
    let res = api.patch(&path, json!({"version": 1, "status": "investigating"})).await;
    assert!(expect_field_error(&res, "status").contains("already"), "{}", res.1);

    let identified = api.change(&inc, json!({"status": "identified"})).await;
    let res = api.patch(&path, json!({"version": identified["version"], "status": "identified"})).await;
    expect_field_error(&res, "status");
    assert_eq!(api.incident(id(&inc)).await, identified);
}

#[sqlx::test(migrations = "./migrations")]
async fn unknown_values_in_a_patch_are_422(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV2", "summary": "s"})).await;
    let path = format!("/incidents/{}", id(&inc));

    let res = api.patch(&path, json!({"version": 1, "status": "sleeping"})).await;
    assert!(expect_field_error(&res, "status").contains("unknown status"));
    let res = api.patch(&path, json!({"version": 1, "severity": "SEV0"})).await;
    expect_field_error(&res, "severity");
    let res = api.patch(&path, json!({"version": 1, "title": ""})).await;
    expect_field_error(&res, "title");
    let res = api.patch(&path, json!({"version": 1, "title": "x".repeat(300)})).await;
    expect_field_error(&res, "title");
    let res = api.patch(&path, json!({"version": 1, "summary": "s".repeat(20_001)})).await;
    expect_field_error(&res, "summary");
    let res = api.patch(&path, json!({"version": 1, "status": "nope", "severity": "nope", "title": " "})).await;
    let error = expect_error(&res, 422, "invalid");
    let fields: Vec<&String> = error["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["severity", "status", "title"]);

    assert_eq!(api.incident(id(&inc)).await, inc, "refused patches changed nothing");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_version_is_required(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let path = format!("/incidents/{}", id(&inc));
    for body in [json!({"status": "identified"}), json!({"version": null, "status": "identified"}), json!({})] {
        let res = api.patch(&path, body).await;
        assert!(expect_field_error(&res, "version").contains("version"));
    }
    for version in [json!("1"), json!(1.5), json!(true), json!([1]), json!(99_999_999_999_i64)] {
        let res = api.patch(&path, json!({"version": version, "status": "identified"})).await;
        expect_error(&res, 422, "invalid");
    }
    assert_eq!(api.incident(id(&inc)).await, inc);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_stale_version_is_a_conflict_showing_the_current_incident(pool: PgPool) {
    let (app, Account { token: ada_token, .. }) = TestApp::with_admin(pool).await;
    let Account { token: grace_token, .. } = app.member("grace@example.com", "Grace").await;
    let ada = Api::new(&app, &ada_token);
    let grace = Api::new(&app, &grace_token);
    let inc = ada.declare(json!({"title": "Checkout down", "severity": "SEV2"})).await;
    let path = format!("/incidents/{}", id(&inc));

    // Both read version 1; Grace writes first.
    let theirs = grace.change(&inc, json!({"status": "identified", "severity": "SEV1"})).await;
    let res = ada.patch(&path, json!({"version": 1, "status": "monitoring"})).await;
    let error = expect_error(&res, 409, "conflict");
    assert_eq!(error["current"], theirs, "the conflict carries what is stored now");
    assert_eq!(error["current"]["version"], 2);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&format!("INC-{}", id(&inc))) && message.contains("identified"), "{message}");

    // Versions ahead of the stored one conflict too, and a stale no-op is still stale.
    let res = ada.patch(&path, json!({"version": 3, "status": "monitoring"})).await;
    expect_error(&res, 409, "conflict");
    let res = ada.patch(&path, json!({"version": 1})).await;
    expect_error(&res, 409, "conflict");
    let res = ada.patch(&path, json!({"version": 0, "title": "Renamed"})).await;
    expect_error(&res, 409, "conflict");
    assert_eq!(ada.incident(id(&inc)).await, theirs, "the stale writes changed nothing");

    // Retrying from the version in the conflict succeeds.
    let mine = ada.change(&error["current"], json!({"status": "monitoring"})).await;
    assert_eq!(mine["status"], "monitoring");
    assert_eq!(mine["severity"], "SEV1", "Grace's change is kept");
    assert_eq!(mine["version"], 3);
}

#[sqlx::test(migrations = "./migrations")]
async fn concurrent_patches_from_the_same_version_let_exactly_one_win(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV2"})).await;
    let path = format!("/incidents/{}", id(&inc));

    let (a, b) = tokio::join!(
        api.patch(&path, json!({"version": 1, "status": "identified"})),
        api.patch(&path, json!({"version": 1, "status": "monitoring", "severity": "SEV1"})),
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "a: {} {}; b: {} {}", a.0, a.1, b.0, b.1);

    let (winner, loser) = if a.0 == StatusCode::OK { (a, b) } else { (b, a) };
    let stored = api.incident(id(&inc)).await;
    assert_eq!(winner.1, stored);
    assert_eq!(stored["version"], 2);
    let error = expect_error(&loser, 409, "conflict");
    assert_eq!(error["current"], stored);

    let events = api.timeline(id(&inc)).await;
    assert_eq!(events.iter().filter(|e| e["kind"] == "status").count(), 1, "only the winner wrote: {events:?}");
    let severity_events = events.iter().filter(|e| e["kind"] == "severity").count();
    assert_eq!(severity_events, usize::from(stored["severity"] == "SEV1"));
}

#[sqlx::test(migrations = "./migrations")]
async fn many_concurrent_patches_from_one_version_let_exactly_one_win(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV2"})).await;
    let path = format!("/incidents/{}", id(&inc));
    let titles: Vec<String> = (0..8).map(|i| format!("Title {i}")).collect();
    let results =
        futures::future::join_all(titles.iter().map(|t| api.patch(&path, json!({"version": 1, "title": t})))).await;
    let ok: Vec<&Value> = results.iter().filter(|r| r.0 == StatusCode::OK).map(|r| &r.1).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.0 != StatusCode::OK) {
        expect_error(r, 409, "conflict");
    }
    let stored = api.incident(id(&inc)).await;
    assert_eq!(*ok[0], stored);
    assert_eq!(stored["version"], 2);
    assert_eq!(kinds(&api.timeline(id(&inc)).await), ["declared", "title"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn patching_a_missing_incident_is_404(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("The only one").await;
    let missing = id(&inc) + 1000;
    let res = api.patch(&format!("/incidents/{missing}"), json!({"version": 1, "status": "identified"})).await;
    expect_error(&res, 404, "not_found");
    let res = api.patch(&format!("/incidents/{missing}"), json!({"version": 1})).await;
    expect_error(&res, 404, "not_found");
    for bad in ["abc", "0", "-3", "1.0"] {
        let res = api.patch(&format!("/incidents/{bad}"), json!({"version": 1, "status": "identified"})).await;
        expect_error(&res, 404, "not_found");
    }
    assert_eq!(api.incident(id(&inc)).await, inc);
}

#[sqlx::test(migrations = "./migrations")]
async fn malformed_patches_are_json_4xx(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let path = format!("/incidents/{}", id(&inc));
    for body in [
        "",
        "{",
        "{\"version\": 1,",
        "[]",
        "null",
        "\"identified\"",
        "{\"version\": 1, \"status\": 3}",
        "{\"version\": 1, \"title\": {\"text\": \"x\"}}",
    ] {
        let res = read(api.request(Method::PATCH, &path).header("Content-Type", "application/json").body(body)).await;
        assert!(res.0.is_client_error(), "{body:?} gave {}: {}", res.0, res.1);
        expect_error(&res, 422, "invalid");
    }
    let res = read(api.request(Method::PATCH, &path).body(r#"{"version": 1, "status": "identified"}"#)).await;
    expect_error(&res, 422, "invalid");
    assert_eq!(api.incident(id(&inc)).await, inc);
}

#[sqlx::test(migrations = "./migrations")]
async fn generated_events_escape_what_users_typed(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "<script>alert(1)</script>", "severity": "SEV2"})).await;
    assert_eq!(inc["title"], "<script>alert(1)</script>", "the title itself is stored as typed");
    let inc = api.change(&inc, json!({"title": "<img src=x onerror=alert(1)>"})).await;
    let events = api.timeline(id(&inc)).await;
    assert_eq!(kinds(&events), ["declared", "title"]);
    for e in &events {
        let html = e["body_html"].as_str().unwrap();
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert!(html.contains("&lt;"), "{html}");
    }
}
