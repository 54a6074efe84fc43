use crate::common::{spawn, Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, kinds, read, rfc3339, time, Api};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn declare_then_read_back(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let http = reqwest::Client::new();
    let res = http
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&json!({"title": "Checkout down", "severity": "SEV1", "services": ["checkout"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let inc: Value = res.json().await.unwrap();
    assert_eq!(inc["title"], "Checkout down");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["commander"]["name"], "Ada");
    let id = inc["id"].as_i64().unwrap();
    assert_eq!(inc["ref"], format!("INC-{id}"));
    assert_eq!(inc["url"], format!("/incidents/INC-{id}"));

    let mut got: Value = http
        .get(app.url(&format!("/api/v1/incidents/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The single read adds the incident's moments; the rest is the answer to declaring it.
    assert_eq!(got["milestones"]["declared"]["at"], inc["declared_at"]);
    got.as_object_mut().map(|o| o.remove("milestones"));
    assert_eq!(got, inc);
}

#[sqlx::test(migrations = "./migrations")]
async fn declaring_returns_the_whole_incident(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api
        .declare(json!({
            "title": "  Payments failing  ",
            "severity": "SEV1",
            "summary": "  Card payments return 502  ",
            "services": ["payments", " api ", "PAYMENTS", ""],
        }))
        .await;

    for field in
        ["id", "ref", "title", "severity", "status", "summary", "services", "started_at", "resolved_at", "commander"]
    {
        assert!(inc.get(field).is_some(), "no {field} in {inc}");
    }
    assert!(inc["version"].is_i64() && inc["url"].is_string(), "{inc}");
    assert_eq!(inc["title"], "Payments failing", "title is trimmed");
    assert_eq!(inc["summary"], "Card payments return 502", "summary is trimmed");
    assert_eq!(inc["services"], json!(["payments", "api"]), "services trimmed, blanks and duplicates dropped");
    assert_eq!(inc["severity"], "SEV1");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["version"], 1);
    assert!(inc["resolved_at"].is_null());
    assert_eq!(inc["commander"], json!({"id": ada.id, "name": "Ada"}), "the declarer commands");
    assert_eq!(inc["declared_by"], json!({"id": ada.id, "name": "Ada"}));
    assert!(inc["comms_lead"].is_null() && inc["scribe"].is_null());
    time(&inc["started_at"]);
    time(&inc["declared_at"]);
    let n = id(&inc);
    assert!(n > 0);
    assert_eq!(inc["ref"], format!("INC-{n}"));
    assert_eq!(inc["url"], format!("/incidents/INC-{n}"));
    assert_eq!(api.incident(n).await, inc);
}

#[sqlx::test(migrations = "./migrations")]
async fn optional_fields_have_defaults(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Disk filling", "severity": "SEV4"})).await;
    assert_eq!(inc["summary"], "");
    assert_eq!(inc["services"], json!([]));
    assert_eq!(inc["severity"], "SEV4");

    let explicit_nulls = api
        .declare(json!({"title": "Nulls", "severity": "SEV3", "summary": null, "services": null, "started_at": null}))
        .await;
    assert_eq!(explicit_nulls["summary"], "");
    assert_eq!(explicit_nulls["services"], json!([]));
    time(&explicit_nulls["started_at"]);

    let blank_start = api.declare(json!({"title": "Blank start", "severity": "SEV3", "started_at": "  "})).await;
    time(&blank_start["started_at"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn every_severity_is_accepted_in_any_case(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    for (given, stored) in
        [("SEV1", "SEV1"), ("SEV2", "SEV2"), ("SEV3", "SEV3"), ("SEV4", "SEV4"), ("sev2", "SEV2"), (" Sev3 ", "SEV3")]
    {
        let inc = api.declare(json!({"title": format!("sev {given}"), "severity": given})).await;
        assert_eq!(inc["severity"], stored);
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn backfilled_start_is_kept_and_noted(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let started = Utc::now() - Duration::hours(3);
    let inc = api.declare(json!({"title": "Logins failing", "severity": "SEV2", "started_at": rfc3339(started)})).await;
    assert_eq!(time(&inc["started_at"]).timestamp(), started.timestamp());
    assert!(time(&inc["declared_at"]) > time(&inc["started_at"]));

    let events = api.timeline(id(&inc)).await;
    assert_eq!(kinds(&events), ["note", "declared"], "impact start first, then the declaration");
    assert_eq!(time(&events[0]["occurred_at"]), time(&inc["started_at"]));
}

#[sqlx::test(migrations = "./migrations")]
async fn started_at_with_an_offset_or_in_local_time(pool: PgPool) {
    let app = spawn(pool).await;
    // Test users live in Europe/Paris: UTC+1 in January.
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &token);
    let offset =
        api.declare(json!({"title": "a", "severity": "SEV3", "started_at": "2025-01-15T10:00:00+01:00"})).await;
    assert_eq!(offset["started_at"], "2025-01-15T09:00:00Z");
    let local = api.declare(json!({"title": "b", "severity": "SEV3", "started_at": "2025-01-15T10:00"})).await;
    assert_eq!(local["started_at"], "2025-01-15T09:00:00Z", "a time without offset is read in the user's zone");
}

#[sqlx::test(migrations = "./migrations")]
async fn empty_titles_are_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    for title in ["", "   ", "\n\t"] {
        let res = api.post("/incidents", json!({"title": title, "severity": "SEV1"})).await;
        let message = expect_field_error(&res, "title");
        assert!(message.contains("title"), "{message}");
        assert!(res.1["error"]["fields"].get("severity").is_none());
    }
    assert_eq!(api.get("/incidents").await.1, json!([]), "nothing was declared");
}

#[sqlx::test(migrations = "./migrations")]
async fn long_titles_are_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let res = api.post("/incidents", json!({"title": "x".repeat(300), "severity": "SEV1"})).await;
    let message = expect_field_error(&res, "title");
    assert!(message.contains("300"), "{message}");
    let res = api.post("/incidents", json!({"title": "x".repeat(201), "severity": "SEV1"})).await;
    expect_field_error(&res, "title");
    assert_eq!(api.get("/incidents").await.1, json!([]), "nothing was declared");

    // The limit is 200 characters, not bytes.
    let inc = api.declare(json!({"title": "é".repeat(200), "severity": "SEV1"})).await;
    assert_eq!(inc["title"].as_str().unwrap().chars().count(), 200);
}

#[sqlx::test(migrations = "./migrations")]
async fn unknown_severities_are_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    for severity in ["SEV5", "SEV0", "critical", "", "1"] {
        let res = api.post("/incidents", json!({"title": "Checkout down", "severity": severity})).await;
        let message = expect_field_error(&res, "severity");
        assert!(message.contains("SEV1"), "the message lists the choices: {message}");
    }
    assert_eq!(api.get("/incidents").await.1, json!([]));
}

#[sqlx::test(migrations = "./migrations")]
async fn every_bad_field_is_reported_at_once(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let res = api
        .post(
            "/incidents",
            json!({
                "title": "",
                "severity": "SEV9",
                "summary": "s".repeat(20_001),
                "services": ["x".repeat(65)],
                "started_at": "last tuesday",
            }),
        )
        .await;
    let error = expect_error(&res, 422, "invalid");
    let fields: Vec<&String> = error["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["services", "severity", "started_at", "summary", "title"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn started_at_must_be_a_past_time(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let future = rfc3339(Utc::now() + Duration::days(1));
    let res = api.post("/incidents", json!({"title": "t", "severity": "SEV1", "started_at": future})).await;
    assert!(expect_field_error(&res, "started_at").contains("future"));
    for bad in ["yesterday", "2025-13-45T99:99:99Z", "1700000000", "2025-01-15"] {
        let res = api.post("/incidents", json!({"title": "t", "severity": "SEV1", "started_at": bad})).await;
        expect_field_error(&res, "started_at");
    }
    assert_eq!(api.get("/incidents").await.1, json!([]));
}

#[sqlx::test(migrations = "./migrations")]
async fn services_are_bounded(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let res = api.post("/incidents", json!({"title": "t", "severity": "SEV1", "services": ["s".repeat(65)]})).await;
    expect_field_error(&res, "services");
    let many: Vec<String> = (0..21).map(|i| format!("svc{i}")).collect();
    let res = api.post("/incidents", json!({"title": "t", "severity": "SEV1", "services": many})).await;
    expect_field_error(&res, "services");
    let twenty: Vec<String> = (0..20).map(|i| format!("svc{i}")).collect();
    let inc = api.declare(json!({"title": "t", "severity": "SEV1", "services": twenty})).await;
    assert_eq!(inc["services"].as_array().unwrap().len(), 20);
}

#[sqlx::test(migrations = "./migrations")]
async fn malformed_declarations_are_json_4xx(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let raw = |body: &'static str| {
        api.request(Method::POST, "/incidents").header("Content-Type", "application/json").body(body)
    };
    for body in [
        "",
        "{",
        "{\"title\": \"x\", \"severity\": \"SEV1\"",
        "not json at all",
        "[]",
        "null",
        "42",
        "{}",
        "{\"severity\": \"SEV1\"}",
        "{\"title\": \"x\"}",
        "{\"title\": 7, \"severity\": \"SEV1\"}",
        "{\"title\": null, \"severity\": \"SEV1\"}",
        "{\"title\": \"x\", \"severity\": [\"SEV1\"]}",
        "{\"title\": \"x\", \"severity\": \"SEV1\", \"services\": \"api\"}",
        "{\"title\": \"x\", \"severity\": \"SEV1\", \"started_at\": 1700000000}",
    ] {
        let res = read(raw(body)).await;
        assert!(res.0.is_client_error(), "{body:?} gave {}: {}", res.0, res.1);
        expect_error(&res, 422, "invalid");
    }

    // JSON sent without saying so.
    let res = read(api.request(Method::POST, "/incidents").body(r#"{"title": "x", "severity": "SEV1"}"#)).await;
    expect_error(&res, 422, "invalid");
    let res = read(
        api.request(Method::POST, "/incidents")
            .header("Content-Type", "text/plain")
            .body(r#"{"title": "x", "severity": "SEV1"}"#),
    )
    .await;
    expect_error(&res, 422, "invalid");
    // A form post.
    let res = read(api.request(Method::POST, "/incidents").form(&[("title", "x"), ("severity", "SEV1")])).await;
    expect_error(&res, 422, "invalid");
    // Not UTF-8.
    let res = read(
        api.request(Method::POST, "/incidents").header("Content-Type", "application/json").body(vec![0xff, 0xfe, 0x7b]),
    )
    .await;
    expect_error(&res, 422, "invalid");

    assert_eq!(api.get("/incidents").await.1, json!([]), "nothing was declared");
}

#[sqlx::test(migrations = "./migrations")]
async fn unknown_body_fields_are_ignored(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc =
        api.declare(json!({"title": "t", "severity": "SEV1", "status": "resolved", "id": 999, "version": 7})).await;
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["version"], 1);
    assert_ne!(inc["id"], 999);
}

#[sqlx::test(migrations = "./migrations")]
async fn missing_incidents_are_404(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("The only one").await;
    let missing = id(&inc) + 1000;
    let res = api.get(&format!("/incidents/{missing}")).await;
    let error = expect_error(&res, 404, "not_found");
    assert!(error["message"].as_str().unwrap().contains(&format!("INC-{missing}")), "{error}");
    for bad in
        ["abc", "0", "-1", "1.5", "1e3", "99999999999999999999999", "%20", "INC-", "INC-abc", "9223372036854775807"]
    {
        let res = api.get(&format!("/incidents/{bad}")).await;
        expect_error(&res, 404, "not_found");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn list_puts_open_incidents_first_then_the_most_recent(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let now = Utc::now();
    let at = |hours: i64| rfc3339(now - Duration::hours(hours));
    let old_resolved = api.declare(json!({"title": "old resolved", "severity": "SEV1", "started_at": at(5)})).await;
    let old_open = api.declare(json!({"title": "old open", "severity": "SEV3", "started_at": at(4)})).await;
    let new_open = api.declare(json!({"title": "new open", "severity": "SEV2", "started_at": at(3)})).await;
    let new_resolved = api.declare(json!({"title": "new resolved", "severity": "SEV2", "started_at": at(2)})).await;
    let monitoring = api.declare(json!({"title": "monitoring", "severity": "SEV4", "started_at": at(6)})).await;
    api.change(&old_resolved, json!({"status": "resolved"})).await;
    api.change(&new_resolved, json!({"status": "resolved"})).await;
    api.change(&monitoring, json!({"status": "monitoring"})).await;

    let (status, list) = api.get("/incidents").await;
    assert_eq!(status, StatusCode::OK);
    let titles: Vec<&str> = list.as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["new open", "old open", "monitoring", "new resolved", "old resolved"]);
    // Each entry is the full incident, as GET returns it.
    let first = &list[0];
    assert_eq!(*first, api.incident(id(&new_open)).await);
    assert_eq!(list[1], api.incident(id(&old_open)).await);
}

#[sqlx::test(migrations = "./migrations")]
async fn list_filters_by_status_and_severity(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let a = api.declare(json!({"title": "a", "severity": "SEV1"})).await;
    api.declare(json!({"title": "b", "severity": "SEV2"})).await;
    let c = api.declare(json!({"title": "c", "severity": "SEV1"})).await;
    api.change(&c, json!({"status": "resolved"})).await;

    let titles = |v: &Value| {
        let mut t: Vec<String> = v.as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().into()).collect();
        t.sort();
        t
    };
    let cases: &[(&str, &[&str])] = &[
        ("", &["a", "b", "c"]),
        ("?status=investigating", &["a", "b"]),
        ("?status=resolved", &["c"]),
        ("?status=closed", &[]),
        ("?severity=SEV1", &["a", "c"]),
        ("?severity=sev2", &["b"]),
        ("?severity=SEV4", &[]),
        ("?status=investigating&severity=SEV1", &["a"]),
        ("?status=RESOLVED&severity=SEV1", &["c"]),
        ("?status=resolved&severity=SEV2", &[]),
        ("?status=&severity=", &["a", "b", "c"]),
        ("?unrelated=1", &["a", "b", "c"]),
    ];
    for (query, expected) in cases {
        let (status, list) = api.get(&format!("/incidents{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert_eq!(titles(&list), *expected, "{query}");
    }
    assert_eq!(id(&api.get("/incidents?status=investigating&severity=SEV1").await.1[0]), id(&a));
}

#[sqlx::test(migrations = "./migrations")]
async fn unknown_filter_values_are_422(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    api.declare_titled("a").await;

    let res = api.get("/incidents?status=sleeping").await;
    assert!(expect_field_error(&res, "status").contains("investigating"));
    let res = api.get("/incidents?severity=SEV9").await;
    assert!(expect_field_error(&res, "severity").contains("SEV1"));
    let res = api.get("/incidents?status=open&severity=high").await;
    expect_field_error(&res, "status");
    expect_field_error(&res, "severity");
    let res = api.get("/incidents?status=resolved%3B%20DROP%20TABLE%20incidents").await;
    expect_field_error(&res, "status");
    assert_eq!(api.get("/incidents").await.1.as_array().unwrap().len(), 1);
}
