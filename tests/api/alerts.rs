//! Alerts in: integrations and their tokens, Alertmanager and generic payloads, once-only recording,
//! triage (accept and decline) and the rules that pick severity and services.

use crate::common::{Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, kinds, read, Api};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn integration(api: &Api<'_>, kind: &str) -> Value {
    let (status, body) = api.post("/integrations", json!({"kind": kind, "name": format!("{kind} prod")})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["token"].as_str().unwrap().len() > 40);
    body
}

async fn send(app: &TestApp, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    read(reqwest::Client::new().post(app.url(&format!("/api/v1/integrations/{path}"))).bearer_auth(token).json(body))
        .await
}

fn am(status: &str, alerts: Value) -> Value {
    json!({
        "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "status": status, "receiver": "debrief",
        "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": {"alertname": "HighErrorRate"},
        "commonAnnotations": {}, "externalURL": "http://am:9093", "alerts": alerts
    })
}

fn alert(status: &str, fp: &str, severity: &str) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": "HighErrorRate", "severity": severity, "service": "checkout", "instance": fp},
        "annotations": {"summary": format!("errors on {fp}")}, "startsAt": "2026-12-01T10:00:00Z",
        "endsAt": if status == "resolved" { "2026-12-01T10:30:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus:9090/graph", "fingerprint": fp
    })
}

#[sqlx::test(migrations = "./migrations")]
async fn an_alert_group_opens_one_triage_incident_and_repeats_add_nothing(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let am_token = integration(&api, "alertmanager").await["token"].as_str().unwrap().to_string();

    let first = am("firing", json!([alert("firing", "a1", "warning"), alert("firing", "a2", "critical")]));
    let (status, got) = send(&app, "alertmanager", &am_token, &first).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!((got["opened"].as_bool(), got["recorded"].as_u64()), (Some(true), Some(2)));
    let reference = got["incident"].as_str().unwrap().to_string();
    let (_, list) = api.get("/incidents?status=triage").await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    let inc = &list[0];
    assert_eq!(inc["ref"], reference.as_str());
    assert_eq!(inc["status"], "triage");
    assert_eq!(inc["severity"], "SEV1", "the most severe alert decides, by the default rules");
    assert_eq!(inc["services"], json!(["checkout"]));
    assert_eq!(inc["source"]["group_key"], "{}:{alertname=\"HighErrorRate\"}");
    assert_eq!(inc["source"]["kind"], "alertmanager");
    assert_eq!(inc["commander"], json!(null), "a person takes it by accepting it");

    // Alertmanager retries and repeats: nothing is recorded twice.
    let (_, again) = send(&app, "alertmanager", &am_token, &first).await;
    assert_eq!((again["recorded"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(2)), "{again}");
    let i = id(inc);
    assert_eq!(sorted(kinds(&api.timeline(i).await)), kinds_sorted(&["alert", "alert", "declared"]));

    // One resolves, then the other: the group's all-resolved event comes once, and the incident stays open.
    let (_, r1) = send(
        &app,
        "alertmanager",
        &am_token,
        &am("firing", json!([alert("resolved", "a1", "warning"), alert("firing", "a2", "critical")])),
    )
    .await;
    assert_eq!(r1["recorded"].as_u64(), Some(1), "{r1}");
    let all = am("resolved", json!([alert("resolved", "a1", "warning"), alert("resolved", "a2", "critical")]));
    let (_, r2) = send(&app, "alertmanager", &am_token, &all).await;
    assert_eq!(r2["recorded"].as_u64(), Some(1), "{r2}");
    let (_, r3) = send(&app, "alertmanager", &am_token, &all).await;
    assert_eq!(r3["recorded"].as_u64(), Some(0));
    let events = api.timeline(i).await;
    let all_resolved: Vec<&Value> = events.iter().filter(|e| e["to"] == "all_resolved").collect();
    assert_eq!(all_resolved.len(), 1, "{events:?}");
    assert_eq!(api.incident(i).await["status"], "triage");
    let firing =
        events.iter().find(|e| e["kind"] == "alert" && e["body"].as_str().unwrap().contains("errors on a2")).unwrap();
    assert!(firing["body_html"].as_str().unwrap().contains("<a href=\"http://prometheus:9090/graph\""), "{firing}");
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn kinds_sorted(k: &[&str]) -> Vec<String> {
    sorted(k.iter().map(|s| s.to_string()).collect())
}

#[sqlx::test(migrations = "./migrations")]
async fn triage_is_accepted_or_declined_with_a_reason(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let am_token = integration(&api, "alertmanager").await["token"].as_str().unwrap().to_string();
    let (_, got) =
        send(&app, "alertmanager", &am_token, &am("firing", json!([alert("firing", "a1", "warning")]))).await;
    let inc = api.get(&format!("/incidents/{}", got["incident"].as_str().unwrap())).await.1;
    let i = id(&inc);

    let moved = api.patch(&format!("/incidents/{i}"), json!({"version": inc["version"], "status": "identified"})).await;
    assert!(expect_field_error(&moved, "status").contains("accepted"));
    let res = api.post(&format!("/incidents/{i}/decline"), json!({"reason": "  "})).await;
    assert!(expect_field_error(&res, "reason").contains("Say why"));

    let (status, accepted) = api.post(&format!("/incidents/{i}/accept"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "investigating");
    assert_eq!(accepted["detected_at"], "2026-12-01T10:00:00Z", "the first alert's start");
    assert!(accepted["declared_at"].as_str().unwrap() > "2026-12-02");
    let again = api.post(&format!("/incidents/{i}/accept"), json!({})).await;
    assert!(expect_field_error(&again, "status").contains("investigating"));

    // A new group is declined: closed, out of the default list, listed among closed ones.
    let (_, other) = send(
        &app,
        "alertmanager",
        &am_token,
        &json!({
            "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing",
            "groupLabels": {"alertname": "DiskFull"}, "alerts": [alert("firing", "d1", "info")]
        }),
    )
    .await;
    let j = api.get(&format!("/incidents/{}", other["incident"].as_str().unwrap())).await.1;
    assert_eq!(j["severity"], "SEV4");
    let (status, declined) = api.post(&format!("/incidents/{}/decline", id(&j)), json!({"reason": "Test alert"})).await;
    assert_eq!(status, StatusCode::OK, "{declined}");
    assert_eq!(declined["status"], "closed");
    assert!(declined["declined_at"].is_string());
    let (_, default_list) = api.get("/incidents").await;
    assert!(default_list.as_array().unwrap().iter().all(|x| x["id"] != j["id"]), "{default_list}");
    let (_, closed) = api.get("/incidents?status=closed").await;
    assert!(closed.as_array().unwrap().iter().any(|x| x["id"] == j["id"]));
    // Its alerts repeating opens nothing new.
    let (_, repeat) = send(
        &app,
        "alertmanager",
        &am_token,
        &json!({
            "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing",
            "alerts": [alert("firing", "d1", "info")]
        }),
    )
    .await;
    assert_eq!((repeat["opened"].as_bool(), repeat["recorded"].as_u64()), (Some(false), Some(0)), "{repeat}");
}

#[sqlx::test(migrations = "./migrations")]
async fn tokens_are_checked_and_bad_payloads_change_nothing(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let am_int = integration(&api, "alertmanager").await;
    let am_token = am_int["token"].as_str().unwrap().to_string();
    let body = am("firing", json!([alert("firing", "a1", "warning")]));

    expect_error(&send(&app, "alertmanager", "dbf_nope", &body).await, 401, "unauthorized");
    expect_error(&send(&app, "alertmanager", &token, &body).await, 401, "unauthorized");
    expect_error(
        &send(&app, "generic", &am_token, &json!({"title": "x", "dedup_key": "k", "status": "firing"})).await,
        403,
        "forbidden",
    );
    let res = send(&app, "alertmanager", &am_token, &json!({"hello": "world"})).await;
    assert!(expect_field_error(&res, "body").contains("not an Alertmanager webhook payload"));
    let (_, list) = api.get("/incidents").await;
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing half-recorded");

    let bad = api.post("/integrations", json!({"kind": "pager", "name": ""})).await;
    expect_field_error(&bad, "kind");
    expect_field_error(&bad, "name");

    let (status, revoked) =
        read(api.request(reqwest::Method::DELETE, &format!("/integrations/{}", am_int["id"]))).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let refused = expect_error(&send(&app, "alertmanager", &am_token, &body).await, 401, "unauthorized");
    assert!(refused["message"].as_str().unwrap().contains("revoked"));
    let (_, all) = api.get("/integrations").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    // The integration's account is not among the people.
    let (_, users) = api.get("/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
}

#[sqlx::test(migrations = "./migrations")]
async fn generic_alerts_follow_the_rules_and_episodes(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let g = integration(&api, "generic").await["token"].as_str().unwrap().to_string();

    let bad_rules = put(
        &api,
        "/integrations/rules",
        json!({
            "severity_rules": [{"label": "priority", "value": "p1", "severity": "SEV9"}], "default_severity": "SEV2"
        }),
    )
    .await;
    assert!(expect_field_error(&bad_rules, "severity_rules[0].severity").contains("unknown severity"));
    let (status, rules) = put(
        &api,
        "/integrations/rules",
        json!({
            "severity_rules": [{"label": "severity", "value": "p1", "severity": "SEV1"}],
            "default_severity": "SEV4", "service_labels": ["service"]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    assert_eq!(api.get("/integrations/rules").await.1, rules);

    let fields = send(&app, "generic", &g, &json!({"status": "boiling", "source_url": "file:///etc"})).await;
    for f in ["title", "dedup_key", "status", "source_url"] {
        expect_field_error(&fields, f);
    }
    let fire = json!({"title": "Queue backlog", "severity": "p1", "services": ["queue"], "dedup_key": "q-1",
                      "status": "firing", "source_url": "https://grafana.example/d/1"});
    let (status, first) = send(&app, "generic", &g, &fire).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["opened"], true);
    let inc = api.get(&format!("/incidents/{}", first["incident"].as_str().unwrap())).await.1;
    assert_eq!((inc["severity"].as_str(), inc["title"].as_str()), (Some("SEV1"), Some("Queue backlog")));
    assert_eq!(inc["services"], json!(["queue"]));
    let (_, repeat) = send(&app, "generic", &g, &fire).await;
    assert_eq!(repeat["recorded"], 0, "{repeat}");
    let resolve = json!({"dedup_key": "q-1", "status": "resolved"});
    let (_, resolved) = send(&app, "generic", &g, &resolve).await;
    assert_eq!(resolved["recorded"], 1, "{resolved}");
    let (_, again) = send(&app, "generic", &g, &resolve).await;
    assert_eq!(again["recorded"], 0);
    let (_, unknown) = send(&app, "generic", &g, &json!({"dedup_key": "never-fired", "status": "resolved"})).await;
    assert_eq!(unknown["ignored"], 1, "{unknown}");
    let events = api.timeline(id(&inc)).await;
    assert_eq!(events.iter().filter(|e| e["to"] == "all_resolved").count(), 1);
}

async fn put(api: &Api<'_>, path: &str, body: Value) -> (StatusCode, Value) {
    read(api.request(reqwest::Method::PUT, path).json(&body)).await
}
