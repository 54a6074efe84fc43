//! Destinations and the outbox: rules, the payload of each kind, signatures, retries against a
//! receiver that fails, once-only delivery across two instances, a receiver down for a while, the
//! test message and removal.

use crate::accounts::audit;
use crate::common::{spawn, spawn_with, Options, TestApp};
use crate::support::{expect_error, expect_field_error, id, Api};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// One call a receiver took: its headers and the exact bytes.
#[derive(Debug)]
struct Call {
    headers: HeaderMap,
    body: Vec<u8>,
    /// What the receiver answered.
    status: u16,
}

impl Call {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

/// A receiver on `listener` that answers its first `fail_first` calls with a 500, then 200s.
fn receive_on(listener: TcpListener, fail_first: usize) -> UnboundedReceiver<Call> {
    let (tx, rx) = unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook/{*secret}",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (tx, seen) = (tx.clone(), seen.clone());
            async move {
                let status = if seen.fetch_add(1, Ordering::SeqCst) < fail_first { 500 } else { 200 };
                let _ = tx.send(Call { headers, body: body.to_vec(), status });
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    rx
}

async fn receiver(fail_first: usize) -> (String, UnboundedReceiver<Call>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook/T0/S3CRET", listener.local_addr().unwrap());
    (url, receive_on(listener, fail_first))
}

/// The next call, within a few seconds.
async fn next(rx: &mut UnboundedReceiver<Call>) -> Call {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a call in time").expect("a call")
}

/// Nothing arrives for a moment (the worker looks every 200 ms in tests).
async fn quiet(rx: &mut UnboundedReceiver<Call>) {
    let got = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
    assert!(got.is_err(), "a call arrived: {got:?}");
}

async fn add(api: &Api<'_>, body: Value) -> Value {
    let (status, d) = api.post("/destinations", body).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d
}

async fn deliveries(api: &Api<'_>, dest: i64) -> Vec<Value> {
    let (status, list) = api.get(&format!("/destinations/{dest}/deliveries")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().expect("an array").clone()
}

/// Waits until the destination's newest notification satisfies `done`; returns it.
async fn newest_until(api: &Api<'_>, dest: i64, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        if let Some(d) = deliveries(api, dest).await.first().filter(|d| done(d)) {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached: {:?}", deliveries(api, dest).await);
}

fn hmac_hex(secret: &str, signed: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed);
    hex::encode(mac.finalize().into_bytes())
}

#[sqlx::test(migrations = "./migrations")]
async fn destinations_are_checked_field_by_field_and_only_admins_manage_them(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let bad = json!({"kind": "pager", "name": " ", "url": "ftp://x", "events": ["declared", "exploded"],
                     "min_severity": "SEV9"});
    let res = api.post("/destinations", bad).await;
    for field in ["kind", "name", "url", "events", "min_severity"] {
        expect_field_error(&res, field);
    }
    assert!(expect_field_error(&res, "events").contains("exploded"));
    let res = api
        .post("/destinations", json!({"kind": "slack", "name": "x", "url": "https://h.example/x", "events": []}))
        .await;
    assert!(expect_field_error(&res, "events").contains("at least one"));
    let (status, none) = api.get("/destinations").await;
    assert_eq!((status, none), (StatusCode::OK, json!([])), "nothing was saved");

    let member = app.member("grace@example.com", "Grace").await;
    let as_member = Api::new(&app, &member.token);
    let ok =
        json!({"kind": "slack", "name": "#incidents", "url": "https://hooks.example/T0/B0/x", "events": ["declared"]});
    expect_error(&as_member.post("/destinations", ok.clone()).await, 403, "forbidden");
    expect_error(&as_member.get("/destinations").await, 403, "forbidden");
    expect_error(&api.get("/destinations/999999/deliveries").await, 404, "not_found");
    expect_error(&api.get("/destinations/nine/deliveries").await, 404, "not_found");

    // What is shown never includes the address (a secret) beyond its host.
    let made = add(&api, ok).await;
    assert_eq!((made["host"].as_str(), made["min_severity"].as_str()), (Some("hooks.example"), Some("SEV4")));
    assert_eq!(made["secret"], Value::Null, "only signed JSON has a secret");
    let listed = api.get("/destinations").await.1;
    assert!(!listed.to_string().contains("/T0/B0"), "{listed}");
    assert_eq!(audit(&api, "destination.created").await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_internal_address_is_told_with_the_other_fields_problems(pool: PgPool) {
    let app = spawn_with(pool, Options { webhook_allow_private: false, ..Options::default() }).await;
    let admin = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &admin.token);
    // (tests/api/webhooks.rs tries every way of writing an internal address.)
    let body = json!({"kind": "slack", "name": "", "url": "http://10.0.0.1/x", "events": ["declared"]});
    let res = api.post("/destinations", body).await;
    expect_field_error(&res, "name");
    assert!(expect_field_error(&res, "url").contains("internal address"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_slack_destination_hears_only_what_its_rules_ask_for(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (url, mut calls) = receiver(0).await;
    let rules = json!({"kind": "slack", "name": "#incidents", "url": url, "min_severity": "SEV2",
                       "events": ["declared", "severity_changed", "resolved"]});
    let dest = id(&add(&api, rules).await);

    api.declare(json!({"title": "Slow search", "severity": "SEV3"})).await;
    api.declare(json!({"title": "Leaked key", "severity": "SEV1", "private": true})).await;
    quiet(&mut calls).await;

    let inc =
        api.declare(json!({"title": "<!channel> Checkout down", "severity": "SEV1", "summary": "Cards *fail*"})).await;
    let reference = inc["ref"].as_str().unwrap().to_string();
    let declared = next(&mut calls).await.json();
    assert_eq!(
        declared["text"],
        format!(
            "{reference} &lt;!channel&gt; Checkout down: declared as SEV1 http://127.0.0.1:3000/incidents/{reference}"
        )
    );
    assert_eq!(declared["blocks"][1]["text"]["text"], "Cards *fail*");

    let inc = api.change(&inc, json!({"status": "identified"})).await;
    quiet(&mut calls).await;
    let inc = api.change(&inc, json!({"severity": "SEV2"})).await;
    let text = next(&mut calls).await.json()["text"].as_str().unwrap().to_string();
    assert!(text.contains(": now SEV2 (was SEV1)"), "{text}");
    api.change(&inc, json!({"status": "resolved"})).await;
    let text = next(&mut calls).await.json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("Checkout down: resolved"), "{text}");
    quiet(&mut calls).await;

    let log = deliveries(&api, dest).await;
    let events: Vec<&str> = log.iter().map(|d| d["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["resolved", "severity_changed", "declared"]);
    for d in &log {
        assert_eq!((d["state"].as_str(), d["attempts"].as_i64()), (Some("delivered"), Some(1)), "{d}");
        assert_eq!(d["incident"], reference.as_str());
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn signed_json_and_teams_get_their_own_payloads(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (signed_url, mut signed) = receiver(0).await;
    let (teams_url, mut teams) = receiver(0).await;
    let made =
        add(&api, json!({"kind": "signed_json", "name": "SIEM", "url": signed_url, "events": ["update_posted"]})).await;
    let secret = made["secret"].as_str().expect("the secret, this once").to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    assert!(!api.get("/destinations").await.1.to_string().contains(&secret), "shown once only");
    add(&api, json!({"kind": "teams", "name": "Ops", "url": teams_url, "events": ["update_posted"]})).await;

    let inc = api.declare(json!({"title": "Checkout down", "severity": "SEV2", "services": ["checkout"]})).await;
    let body = json!({"message": "Rolling back [the deploy](https://x)", "impact": "Card payments fail",
                      "next_update_at": "30"});
    assert_eq!(api.post(&format!("/incidents/{}/updates", id(&inc)), body).await.0, StatusCode::CREATED);

    let call = next(&mut signed).await;
    let (ts, sig) = (call.header("debrief-timestamp"), call.header("debrief-signature"));
    let mut signed_bytes = format!("{ts}.").into_bytes();
    signed_bytes.extend_from_slice(&call.body);
    assert_eq!(sig, format!("v1={}", hmac_hex(&secret, &signed_bytes)), "the signature covers the timestamp and body");
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a current timestamp: {ts}");
    let notice = call.json();
    assert_eq!(notice["id"].as_str().unwrap(), call.header("idempotency-key"));
    assert_eq!(notice["event"], "update_posted");
    assert_eq!(notice["incident"]["reference"], inc["ref"]);
    assert_eq!(notice["incident"]["services"], json!(["checkout"]));
    let detail = notice["detail"].as_str().unwrap();
    assert!(detail.starts_with("Rolling back [the deploy](https://x)\n\nImpact: Card payments fail\n\nNext update by "));
    assert!(detail.ends_with(" UTC"), "{detail}");

    let card = next(&mut teams).await.json();
    let attachment = &card["attachments"][0];
    assert_eq!(attachment["contentType"], "application/vnd.microsoft.card.adaptive");
    let text = attachment["content"]["body"][1]["text"].as_str().unwrap();
    assert!(text.starts_with(r"Rolling back \[the deploy\]\(https://x\)"), "Markdown typed is escaped: {text}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_failing_receiver_gets_the_same_notification_until_it_takes_it(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (url, mut calls) = receiver(3).await;
    let dest =
        id(&add(&api, json!({"kind": "signed_json", "name": "flaky", "url": url, "events": ["declared"]})).await);
    api.declare_titled("Checkout down").await;
    let tries: Vec<Call> =
        vec![next(&mut calls).await, next(&mut calls).await, next(&mut calls).await, next(&mut calls).await];
    assert_eq!(tries.iter().map(|c| c.status).collect::<Vec<_>>(), [500, 500, 500, 200]);
    let key = tries[0].header("idempotency-key");
    assert!(tries.iter().all(|c| c.header("idempotency-key") == key && c.json()["id"] == key.as_str()));
    quiet(&mut calls).await;
    let d = newest_until(&api, dest, |d| d["state"] == "delivered").await;
    assert_eq!((d["attempts"].as_i64(), &d["last_error"]), (Some(4), &Value::Null), "{d}");
    assert_eq!(d["idempotency_key"], key.as_str());
}

#[sqlx::test(migrations = "./migrations")]
async fn a_receiver_down_for_a_while_gets_it_when_it_is_back(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (port, url) = closed_port().await;
    let dest = id(&add(&api, json!({"kind": "slack", "name": "down", "url": url, "events": ["declared"]})).await);
    api.declare_titled("Checkout down").await;
    let failing = newest_until(&api, dest, |d| d["attempts"].as_i64() >= Some(2)).await;
    assert_eq!(failing["state"], "pending");
    let error = failing["last_error"].as_str().unwrap();
    assert!(error.contains("unreachable") && !error.contains("S3CRET") && !error.contains("/hook"), "{error}");
    assert!(failing["next_attempt_at"].is_string());

    let mut calls = receive_on(TcpListener::bind(("127.0.0.1", port)).await.unwrap(), 0);
    let text = next(&mut calls).await.json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("Checkout down: declared as SEV2"), "{text}");
    let d = newest_until(&api, dest, |d| d["state"] == "delivered").await;
    assert!(d["attempts"].as_i64() > Some(2) && d["next_attempt_at"].is_null(), "{d}");
}

#[sqlx::test(migrations = "./migrations")]
async fn two_instances_deliver_each_notification_once(pool: PgPool) {
    let (one, admin) = TestApp::with_admin(pool.clone()).await;
    let two = spawn(pool).await;
    let (api_one, api_two) = (Api::new(&one, &admin.token), Api::new(&two, &admin.token));
    let (url, mut calls) = receiver(0).await;
    add(&api_one, json!({"kind": "signed_json", "name": "both", "url": url, "events": ["declared"]})).await;
    for n in 0..12 {
        let api = if n % 2 == 0 { &api_one } else { &api_two };
        api.declare_titled(&format!("Incident {n}")).await;
    }
    let mut keys = std::collections::HashSet::new();
    for _ in 0..12 {
        let call = next(&mut calls).await;
        assert!(keys.insert(call.header("idempotency-key")), "sent twice: {}", call.header("idempotency-key"));
    }
    quiet(&mut calls).await;
    assert_eq!(keys.len(), 12);
}

#[sqlx::test(migrations = "./migrations")]
async fn send_test_then_remove_and_nothing_more_goes_out(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (url, mut calls) = receiver(0).await;
    let dest = id(&add(&api, json!({"kind": "slack", "name": "#ops", "url": url, "events": ["published"]})).await);
    let (status, queued) = api.post(&format!("/destinations/{dest}/test"), json!({})).await;
    assert_eq!((status, queued["event"].as_str()), (StatusCode::ACCEPTED, Some("test")), "{queued}");
    let text = next(&mut calls).await.json()["text"].as_str().unwrap().to_string();
    assert!(text.starts_with("Test message from Debrief to \u{201c}#ops\u{201d}"), "{text}");
    newest_until(&api, dest, |d| d["state"] == "delivered").await;
    expect_error(&api.post("/destinations/999999/test", json!({})).await, 404, "not_found");

    let (status, removed) = read_delete(&api, &format!("/destinations/{dest}")).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert!(removed["removed_at"].is_string());
    expect_field_error(&api.post(&format!("/destinations/{dest}/test"), json!({})).await, "destination");
    assert_eq!(audit(&api, "destination.removed").await.len(), 1);
    assert_eq!(read_delete(&api, &format!("/destinations/{dest}")).await.0, StatusCode::OK, "removing twice is fine");
    assert_eq!(audit(&api, "destination.removed").await.len(), 1, "and audited once");
    quiet(&mut calls).await;
}

/// An address where nothing listens (yet): the port of a listener just closed.
async fn closed_port() -> (u16, String) {
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    (port, format!("http://127.0.0.1:{port}/hook/T0/S3CRET"))
}

#[sqlx::test(migrations = "./migrations")]
async fn what_waits_is_given_up_when_the_incident_turns_private_or_the_destination_goes(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (port, url) = closed_port().await;
    let dest = id(&add(&api, json!({"kind": "slack", "name": "down", "url": url, "events": ["declared"]})).await);
    let inc = api.declare_titled("Credential leak").await;
    newest_until(&api, dest, |d| d["attempts"].as_i64() >= Some(1)).await;
    api.change(&inc, json!({"private": true})).await;
    let mut calls = receive_on(TcpListener::bind(("127.0.0.1", port)).await.unwrap(), 0);
    let d = newest_until(&api, dest, |d| d["state"] == "given_up").await;
    assert!(d["last_error"].as_str().unwrap().contains("made private"), "{d}");
    quiet(&mut calls).await;

    // Removing a destination gives up what still waits for it.
    let (_, url) = closed_port().await;
    let gone = id(&add(&api, json!({"kind": "slack", "name": "gone", "url": url, "events": ["declared"]})).await);
    api.declare_titled("Slow search").await;
    newest_until(&api, gone, |d| d["attempts"].as_i64() >= Some(1)).await;
    read_delete(&api, &format!("/destinations/{gone}")).await;
    let d = deliveries(&api, gone).await;
    assert_eq!((d.len(), d[0]["state"].as_str()), (1, Some("given_up")), "{d:?}");
    assert_eq!(d[0]["last_error"], "the destination was removed");
}

async fn read_delete(api: &Api<'_>, path: &str) -> (StatusCode, Value) {
    crate::support::read(api.request(reqwest::Method::DELETE, path)).await
}

#[sqlx::test(migrations = "./migrations")]
async fn a_worker_that_dies_mid_send_leaves_it_to_another(pool: PgPool) {
    // An instance that sends nothing itself, so the test plays the worker that dies.
    let quiet_app = spawn_with(pool.clone(), Options { outbox_worker: false, ..Options::default() }).await;
    let admin = quiet_app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&quiet_app, &admin.token);
    let (url, mut calls) = receiver(0).await;
    let dest = id(&add(&api, json!({"kind": "slack", "name": "#ops", "url": url, "events": ["declared"]})).await);
    api.declare_titled("Checkout down").await;
    // Claimed with a short lease, then never sent or recorded: the process died.
    let claimed = debrief::server::db::outbox::claim_due(&pool, 20, 0.5).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(debrief::server::db::outbox::claim_due(&pool, 20, 0.5).await.unwrap().is_empty(), "leased");

    // A restarted instance finds it once the lease is over.
    let _restarted = spawn(pool).await;
    let text = next(&mut calls).await.json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("Checkout down: declared"), "{text}");
    let d = newest_until(&api, dest, |d| d["state"] == "delivered").await;
    assert_eq!(d["attempts"], 2, "the lost attempt counts: {d}");
    quiet(&mut calls).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_destinations_rules_change_without_its_address(pool: PgPool) {
    let (app, admin) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &admin.token);
    let (url, mut calls) = receiver(0).await;
    let dest = id(&add(&api, json!({"kind": "slack", "name": "#ops", "url": url, "events": ["resolved"]})).await);
    let path = format!("/destinations/{dest}");
    let res = api.patch(&path, json!({"name": " ", "events": ["exploded"], "min_severity": "SEV9"})).await;
    for field in ["name", "events", "min_severity"] {
        expect_field_error(&res, field);
    }
    expect_field_error(&api.patch(&path, json!({"events": []})).await, "events");
    let (status, changed) = api.patch(&path, json!({"events": ["declared"], "min_severity": "SEV2"})).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!((changed["name"].as_str(), changed["min_severity"].as_str()), (Some("#ops"), Some("SEV2")), "{changed}");
    assert_eq!(changed["events"], json!(["declared"]));
    assert_eq!(audit(&api, "destination.changed").await.len(), 1);

    api.declare(json!({"title": "Minor thing", "severity": "SEV3"})).await;
    quiet(&mut calls).await;
    api.declare(json!({"title": "Checkout down", "severity": "SEV2"})).await;
    assert!(next(&mut calls).await.json()["text"].as_str().unwrap().contains("Checkout down: declared"));

    read_delete(&api, &path).await;
    expect_field_error(&api.patch(&path, json!({"name": "x"})).await, "destination");
    expect_error(&api.patch("/destinations/999999", json!({})).await, 404, "not_found");
    let member = app.member("grace@example.com", "Grace").await;
    expect_error(&Api::new(&app, &member.token).patch(&path, json!({})).await, 403, "forbidden");
}
