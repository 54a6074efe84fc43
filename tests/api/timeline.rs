use crate::common::{Account, TestApp};
use crate::support::{assert_chronological, expect_error, expect_field_error, id, kinds, read, rfc3339, time, Api};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::BTreeSet;

#[sqlx::test(migrations = "./migrations")]
async fn declaring_writes_a_declared_event(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV1"})).await;
    let events = api.timeline(id(&inc)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["kind"], "declared");
    assert_eq!(e["incident_id"], inc["id"]);
    assert_eq!(e["author"], json!({"id": ada.id, "name": "Ada"}));
    assert_eq!(e["to"], "SEV1");
    assert!(e["from"].is_null() && e["key"].is_null());
    let body = e["body"].as_str().unwrap();
    assert!(body.contains("Ada") && body.contains("SEV1") && body.contains("Checkout down"), "{body}");
    assert!(e["body_html"].as_str().unwrap().starts_with("<p>"));
    time(&e["occurred_at"]);
    time(&e["recorded_at"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn adding_a_note_returns_the_event(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;

    let (status, note) = api.note(id(&inc), json!({"body": "  Rolled back **v42**  "})).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["kind"], "note");
    assert_eq!(note["incident_id"], inc["id"]);
    assert_eq!(note["author"], json!({"id": ada.id, "name": "Ada"}));
    assert_eq!(note["body"], "Rolled back **v42**", "stored as written, trimmed");
    assert_eq!(note["body_html"], "<p>Rolled back <strong>v42</strong></p>\n");
    assert!(note["key"].is_null() && note["from"].is_null() && note["to"].is_null());
    assert!(note["id"].is_i64());
    time(&note["occurred_at"]);
    time(&note["recorded_at"]);

    let (status, other) = Api::new(&app, &grace_token).note(id(&inc), json!({"body": "Seeing recovery"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(other["author"], json!({"id": grace.id, "name": "Grace"}));

    let events = api.timeline(id(&inc)).await;
    assert_eq!(kinds(&events), ["declared", "note", "note"]);
    assert_eq!(events[1], note, "the timeline holds exactly what was returned");
    assert_eq!(events[2], other);
    assert_eq!(api.incident(id(&inc)).await, inc, "notes do not change the incident or its version");
}

#[sqlx::test(migrations = "./migrations")]
async fn key_events_are_marked(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    for (given, stored) in
        [("trigger", "trigger"), ("detection", "detection"), ("Mitigation", "mitigation"), ("resolution", "resolution")]
    {
        let (status, note) = api.note(id(&inc), json!({"body": given, "key": given})).await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(note["key"], stored);
    }
    for blank in [json!(""), json!(" "), Value::Null] {
        let (status, note) = api.note(id(&inc), json!({"body": "plain", "key": blank})).await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert!(note["key"].is_null());
    }
    let res = api.note(id(&inc), json!({"body": "x", "key": "root_cause"})).await;
    assert!(expect_field_error(&res, "key").contains("detection"));
    assert_eq!(api.timeline(id(&inc)).await.len(), 8);
}

#[sqlx::test(migrations = "./migrations")]
async fn note_markdown_is_sanitised(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let evil = [
        "<script>alert(1)</script>",
        "before <script>alert(1)</script> after",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "[click](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<iframe src=https://evil.example></iframe>",
        "<a href=\"#\" onclick=\"alert(1)\">x</a>",
    ];
    for body in evil {
        let (status, note) = api.note(id(&inc), json!({"body": body})).await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(note["body"], body, "the Markdown is kept as written");
        let html = note["body_html"].as_str().unwrap().to_lowercase();
        for bad in ["<script", "javascript:", "onerror", "onclick", "<iframe", "<svg"] {
            assert!(!html.contains(bad), "{body:?} rendered as {html:?}");
        }
    }
    for e in api.timeline(id(&inc)).await {
        assert!(!e["body_html"].as_str().unwrap().to_lowercase().contains("<script"), "{e}");
    }
    let (_, note) = api.note(id(&inc), json!({"body": "[runbook](https://example.com/r)"})).await;
    let html = note["body_html"].as_str().unwrap();
    assert!(html.contains("href=\"https://example.com/r\"") && html.contains("noopener"), "{html}");
}

#[sqlx::test(migrations = "./migrations")]
async fn empty_and_oversized_notes_are_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    for body in ["", "   ", "\n\n"] {
        let res = api.note(id(&inc), json!({"body": body})).await;
        expect_field_error(&res, "body");
    }
    let res = api.note(id(&inc), json!({"body": "x".repeat(20_001)})).await;
    assert!(expect_field_error(&res, "body").contains("20000"));
    let (status, _) = api.note(id(&inc), json!({"body": "x".repeat(20_000)})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(api.timeline(id(&inc)).await.len(), 2);
}

#[sqlx::test(migrations = "./migrations")]
async fn occurred_at_in_the_future_is_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    for when in [rfc3339(Utc::now() + Duration::days(1)), "2999-01-01T00:00:00Z".into(), "2999-01-01T00:00".into()] {
        let res = api.note(id(&inc), json!({"body": "from the future", "occurred_at": when})).await;
        assert!(expect_field_error(&res, "occurred_at").contains("future"), "{when}");
    }
    assert_eq!(api.timeline(id(&inc)).await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn unparseable_occurred_at_is_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    for when in ["yesterday", "10:00", "2025-01-15", "2025-02-30T10:00:00Z", "15/01/2025 10:00", "1736935200"] {
        let res = api.note(id(&inc), json!({"body": "x", "occurred_at": when})).await;
        expect_field_error(&res, "occurred_at");
    }
    // 02:30 did not happen in Paris on 30 March 2025 (clocks jumped from 02:00 to 03:00).
    let res = api.note(id(&inc), json!({"body": "x", "occurred_at": "2025-03-30T02:30"})).await;
    assert!(expect_field_error(&res, "occurred_at").contains("Europe/Paris"));
    // Every problem at once.
    let res = api.note(id(&inc), json!({"body": "", "occurred_at": "soon", "key": "nope"})).await;
    let error = expect_error(&res, 422, "invalid");
    let fields: Vec<&String> = error["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["body", "key", "occurred_at"]);
    assert_eq!(api.timeline(id(&inc)).await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn occurred_at_with_an_offset_or_in_local_time(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    for (given, utc) in [
        ("2025-01-15T09:00:00Z", "2025-01-15T09:00:00Z"),
        ("2025-01-15T10:00:00+01:00", "2025-01-15T09:00:00Z"),
        ("2025-01-15T04:00:00-05:00", "2025-01-15T09:00:00Z"),
        // Without an offset: the author's zone (Europe/Paris), summer and winter.
        ("2025-01-15T10:00", "2025-01-15T09:00:00Z"),
        ("2025-07-15 10:00:30", "2025-07-15T08:00:30Z"),
    ] {
        let (status, note) = api.note(id(&inc), json!({"body": given, "occurred_at": given})).await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(note["occurred_at"], utc, "{given}");
        assert!(time(&note["recorded_at"]) > time(&note["occurred_at"]));
    }
    for blank in [json!(""), json!("  "), Value::Null] {
        let (status, note) = api.note(id(&inc), json!({"body": "now", "occurred_at": blank})).await;
        assert_eq!(status, StatusCode::CREATED, "a blank time means now: {note}");
        time(&note["occurred_at"]);
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn backfilled_notes_take_their_place_in_the_timeline(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let now = Utc::now();
    let ago = |minutes: i64| rfc3339(now - Duration::minutes(minutes));
    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV1", "started_at": ago(120)})).await;
    let n = id(&inc);

    let (_, live) = api.note(n, json!({"body": "written live"})).await;
    let (_, detected) = api.note(n, json!({"body": "alert fired", "occurred_at": ago(90), "key": "detection"})).await;
    let (_, deploy) = api.note(n, json!({"body": "bad deploy", "occurred_at": ago(100), "key": "trigger"})).await;
    let (_, paged) = api.note(n, json!({"body": "paged on-call", "occurred_at": ago(60)})).await;
    let (_, ancient) = api.note(n, json!({"body": "config change", "occurred_at": "2020-06-01T12:00:00Z"})).await;
    let status = api.change(&inc, json!({"status": "identified"})).await;
    assert_eq!(status["status"], "identified");

    let events = api.timeline(n).await;
    assert_chronological(&events);
    let bodies: Vec<&str> = events.iter().map(|e| e["body"].as_str().unwrap()).collect();
    assert_eq!(bodies.len(), 8, "{bodies:?}");
    assert_eq!(bodies[0], "config change");
    assert!(bodies[1].starts_with("Impact began"), "{bodies:?}");
    assert_eq!(bodies[2..5], ["bad deploy", "alert fired", "paged on-call"]);
    assert_eq!(events[5]["kind"], "declared");
    // The note written live and the status change both happened after the declaration.
    let rest: BTreeSet<i64> = events[6..].iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(rest.contains(&live["id"].as_i64().unwrap()), "{bodies:?}");
    assert_eq!(events[6..].iter().filter(|e| e["kind"] == "status").count(), 1);

    for (note, minutes) in [(&deploy, 100), (&detected, 90), (&paged, 60)] {
        assert_eq!(time(&note["occurred_at"]).timestamp(), (now - Duration::minutes(minutes)).timestamp());
        assert!(time(&note["recorded_at"]) > time(&note["occurred_at"]), "recorded when written");
    }
    assert_eq!(ancient["occurred_at"], "2020-06-01T12:00:00Z");
}

#[sqlx::test(migrations = "./migrations")]
async fn twenty_concurrent_notes_all_persist(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let n = id(&inc);

    let bodies: Vec<String> = (0..20).map(|i| format!("update number {i}")).collect();
    let results = futures::future::join_all(bodies.iter().map(|b| api.note(n, json!({"body": b})))).await;
    let mut ids = BTreeSet::new();
    for (status, note) in &results {
        assert_eq!(*status, StatusCode::CREATED, "{note}");
        assert!(ids.insert(note["id"].as_i64().unwrap()), "duplicate id in {note}");
    }

    let events = api.timeline(n).await;
    assert_eq!(events.len(), 21, "the declaration and all twenty notes");
    assert_chronological(&events);
    let stored: BTreeSet<&str> =
        events.iter().filter(|e| e["kind"] == "note").map(|e| e["body"].as_str().unwrap()).collect();
    let sent: BTreeSet<&str> = bodies.iter().map(String::as_str).collect();
    assert_eq!(stored, sent);
    let stored_ids: BTreeSet<i64> =
        events.iter().filter(|e| e["kind"] == "note").map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(stored_ids, ids);
    assert_eq!(api.incident(n).await["version"], 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn concurrent_notes_from_spawned_tasks_and_users_all_persist(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: grace, .. } = app.member("grace@example.com", "Grace").await;
    let inc = Api::new(&app, &ada).declare_titled("Checkout down").await;
    let url = app.url(&format!("/api/v1/incidents/{}/timeline", id(&inc)));

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let token = if i % 2 == 0 { ada.clone() } else { grace.clone() };
            let url = url.clone();
            tokio::spawn(async move {
                let req = reqwest::Client::new().post(url).bearer_auth(token).json(&json!({"body": format!("n{i}")}));
                read(req).await
            })
        })
        .collect();
    for task in tasks {
        let (status, note) = task.await.expect("task");
        assert_eq!(status, StatusCode::CREATED, "{note}");
    }
    let events = Api::new(&app, &ada).timeline(id(&inc)).await;
    let notes: Vec<&Value> = events.iter().filter(|e| e["kind"] == "note").collect();
    assert_eq!(notes.len(), 20);
    assert_eq!(notes.iter().filter(|e| e["author"]["name"] == "Grace").count(), 10);
}

#[sqlx::test(migrations = "./migrations")]
async fn timelines_of_missing_incidents_are_404(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("The only one").await;
    let missing = id(&inc) + 1000;
    expect_error(&api.get(&format!("/incidents/{missing}/timeline")).await, 404, "not_found");
    expect_error(&api.note(missing, json!({"body": "lost"})).await, 404, "not_found");
    for bad in ["abc", "0", "-1", "2.0"] {
        expect_error(&api.get(&format!("/incidents/{bad}/timeline")).await, 404, "not_found");
        expect_error(&api.post(&format!("/incidents/{bad}/timeline"), json!({"body": "lost"})).await, 404, "not_found");
    }
    assert_eq!(api.timeline(id(&inc)).await.len(), 1, "no note landed anywhere");
}

#[sqlx::test(migrations = "./migrations")]
async fn timelines_are_kept_apart(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let a = api.declare_titled("A").await;
    let b = api.declare_titled("B").await;
    api.note(id(&a), json!({"body": "about A"})).await;
    api.note(id(&b), json!({"body": "about B"})).await;
    api.change(&b, json!({"status": "resolved"})).await;
    let ta = api.timeline(id(&a)).await;
    let tb = api.timeline(id(&b)).await;
    assert_eq!(kinds(&ta), ["declared", "note"]);
    assert_eq!(kinds(&tb), ["declared", "note", "status"]);
    assert!(ta.iter().all(|e| e["incident_id"] == a["id"]));
    assert!(tb.iter().all(|e| e["incident_id"] == b["id"]));
    assert_eq!(ta[1]["body"], "about A");
}

#[sqlx::test(migrations = "./migrations")]
async fn malformed_notes_are_json_4xx(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let path = format!("/incidents/{}/timeline", id(&inc));
    for body in [
        "",
        "{",
        "{\"body\": \"unterminated",
        "[]",
        "null",
        "\"just a string\"",
        "{}",
        "{\"body\": null}",
        "{\"body\": 42}",
        "{\"body\": \"x\", \"occurred_at\": 1736935200}",
        "{\"body\": \"x\", \"key\": true}",
    ] {
        let res = read(api.request(Method::POST, &path).header("Content-Type", "application/json").body(body)).await;
        assert!(res.0.is_client_error(), "{body:?} gave {}: {}", res.0, res.1);
        expect_error(&res, 422, "invalid");
    }
    let res = read(api.request(Method::POST, &path).body(r#"{"body": "no content type"}"#)).await;
    expect_error(&res, 422, "invalid");
    let res = read(api.request(Method::POST, &path).form(&[("body", "a form")])).await;
    expect_error(&res, 422, "invalid");
    assert_eq!(api.timeline(id(&inc)).await.len(), 1);
}
