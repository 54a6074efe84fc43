//! An incident's moments: set from the evidence as it appears, corrected by hand with a reason, and
//! kept in order.

use crate::common::{Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, read, rfc3339, Api};
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn put(api: &Api<'_>, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    read(api.request(Method::PUT, path).json(&body)).await
}

fn at(ms: &Value, moment: &str) -> String {
    ms[moment]["at"].as_str().unwrap_or_else(|| panic!("no {moment} in {ms}")).to_string()
}

#[sqlx::test(migrations = "./migrations")]
async fn each_moment_is_set_from_its_evidence(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let began = Utc::now() - Duration::minutes(50);
    let inc = api.declare(json!({"title": "Checkout errors", "severity": "SEV2", "started_at": rfc3339(began)})).await;
    let id = id(&inc);
    let ms = api.incident_with_milestones(id).await["milestones"].clone();
    assert_eq!(at(&ms, "impact_started"), rfc3339(began));
    assert_eq!(ms["declared"]["source"], "auto");
    assert!(ms["mitigated"].is_null() && ms["resolved"].is_null(), "no evidence yet: {ms}");

    let detected = Utc::now() - Duration::minutes(40);
    let (s, _) =
        api.note(id, json!({"body": "Error rate alert", "key": "detection", "occurred_at": rfc3339(detected)})).await;
    assert_eq!(s, 201);
    let inc = api.incident(id).await;
    api.change(&inc, json!({"status": "monitoring"})).await;
    let ms = api.incident_with_milestones(id).await["milestones"].clone();
    assert_eq!(at(&ms, "detected"), rfc3339(detected), "the detection key event");
    assert!(ms["acknowledged"]["at"].is_string(), "the first note after declaring: {ms}");
    let monitoring = at(&ms, "mitigated");

    // A mitigation key event is better evidence than the move to monitoring.
    let mitigated = Utc::now() - Duration::minutes(5);
    api.note(id, json!({"body": "Rolled back", "key": "mitigation", "occurred_at": rfc3339(mitigated)})).await;
    api.change(&api.incident(id).await, json!({"status": "resolved"})).await;
    let (s, ms) = api.get(&format!("/incidents/{id}/milestones")).await;
    assert_eq!(s, 200);
    assert_ne!(at(&ms, "mitigated"), monitoring);
    assert_eq!(at(&ms, "mitigated"), rfc3339(mitigated));
    assert_eq!(ms["resolved"]["source"], "auto");
    assert!(ms["resolved"].get("set_by").is_none() && ms["closed"].is_null(), "{ms}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_correction_needs_a_reason_and_keeps_the_order(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let began = Utc::now() - Duration::hours(2);
    let inc = api.declare(json!({"title": "DNS", "severity": "SEV1", "started_at": rfc3339(began)})).await;
    let path = format!("/incidents/{}/milestones/detected", id(&inc));

    let before_impact = rfc3339(began - Duration::minutes(1));
    let res = put(&api, &path, json!({"at": before_impact, "reason": "The pager went off"})).await;
    let m = expect_field_error(&res, "at");
    assert!(m.contains("Detected cannot be before impact started"), "{m}");
    let future = rfc3339(Utc::now() + Duration::hours(1));
    assert!(expect_field_error(&put(&api, &path, json!({"at": future, "reason": "x"})).await, "at").contains("future"));
    let detected = rfc3339(began + Duration::minutes(10));
    expect_field_error(&put(&api, &path, json!({"at": detected, "reason": "  "})).await, "reason");
    expect_field_error(&put(&api, &path, json!({"at": "soon", "reason": "x"})).await, "at");
    let res =
        put(&api, &format!("/incidents/{}/milestones/noticed", id(&inc)), json!({"at": detected, "reason": "x"})).await;
    assert!(expect_field_error(&res, "moment").contains("expected one of impact_started"));
    let (_, ms) = api.get(&format!("/incidents/{}/milestones", id(&inc))).await;
    assert!(ms["detected"].is_null(), "nothing written by a refusal: {ms}");

    let (s, ms) = put(&api, &path, json!({"at": detected, "reason": "The first customer report"})).await;
    assert_eq!(s, 200, "{ms}");
    assert_eq!(
        ms["detected"],
        json!({"at": detected, "source": "manual", "set_by": {"id": ada.id, "name": ada.name}, "reason": "The first customer report"})
    );
    // Now impact cannot move after the detection.
    let res = put(
        &api,
        &format!("/incidents/{}/milestones/impact_started", id(&inc)),
        json!({"at": rfc3339(began + Duration::minutes(20)), "reason": "x"}),
    )
    .await;
    assert!(expect_field_error(&res, "at").contains("cannot be after detected"));
}

#[sqlx::test(migrations = "./migrations")]
async fn readers_cannot_correct_and_outsiders_cannot_see(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let reader = app.reader("rita@example.com", "Rita").await;
    let member = app.member("mo@example.com", "Mo").await;
    let open = api.declare_titled("Latency").await;
    let secret = api.declare(json!({"title": "Leaked key", "severity": "SEV1", "private": true})).await;
    let body = json!({"at": rfc3339(Utc::now() - Duration::minutes(1)), "reason": "x"});
    let r = Api::new(&app, &reader.token);
    expect_error(
        &put(&r, &format!("/incidents/{}/milestones/mitigated", id(&open)), body.clone()).await,
        403,
        "forbidden",
    );
    let m = Api::new(&app, &member.token);
    expect_error(&m.get(&format!("/incidents/{}/milestones", id(&secret))).await, 404, "not_found");
    expect_error(&put(&m, &format!("/incidents/{}/milestones/mitigated", id(&secret)), body).await, 404, "not_found");
}
