//! Destination addresses: no internal addresses unless the operator allows them, no redirects
//! followed, and the address (a secret) never in an answer or an error.

use crate::common::{spawn_with, Account, Options, TestApp};
use crate::support::{expect_field_error, id, webhook_receiver, Api};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

async fn strict(pool: PgPool) -> TestApp {
    spawn_with(pool, Options { webhook_allow_private: false, ..Options::default() }).await
}

async fn add(api: &Api<'_>, url: &str) -> (StatusCode, Value) {
    api.post("/destinations", json!({"kind": "slack", "name": "#incidents", "url": url, "events": ["declared"]})).await
}

/// Nothing arrives at `rx` for a moment.
async fn stays_quiet<T: std::fmt::Debug>(rx: &mut UnboundedReceiver<T>) {
    let got = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
    assert!(got.is_err(), "a message arrived: {got:?}");
}

/// The destination's newest delivery once an attempt has failed.
async fn tried(api: &Api<'_>, dest: i64) -> Value {
    for _ in 0..100 {
        let (_, list) = api.get(&format!("/destinations/{dest}/deliveries")).await;
        if let Some(d) = list.as_array().and_then(|l| l.first()).filter(|d| d["last_error"].is_string()) {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never tried");
}

#[sqlx::test(migrations = "./migrations")]
async fn internal_addresses_are_refused_when_saved(pool: PgPool) {
    let app = strict(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &token);
    for url in [
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://192.168.1.10:8080/hook",
        "http://2130706433/hook",
    ] {
        let message = expect_field_error(&add(&api, url).await, "url");
        assert!(message.contains("internal address"), "{url}: {message}");
    }
    assert_eq!(api.get("/destinations").await.1, json!([]), "nothing was saved");
    let (status, saved) = add(&api, "https://hooks.slack.com/services/T0/B0/x").await;
    assert_eq!(status, StatusCode::CREATED, "a public address is fine: {saved}");
    assert_eq!(saved["host"], "hooks.slack.com");
    assert!(!saved.to_string().contains("/services"), "the address is a secret: {saved}");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_internal_address_saved_while_allowed_is_refused_at_send_time(pool: PgPool) {
    // One instance allows private addresses and saves one; the other, on the same database, does
    // not, and only it sends.
    let open = spawn_with(pool.clone(), Options { outbox_worker: false, ..Options::default() }).await;
    let _locked = strict(pool).await;
    let Account { token, .. } = open.admin("ada@example.com", "Ada").await;
    let api = Api::new(&open, &token);
    let (hook, mut messages) = webhook_receiver().await;
    let (status, d) = add(&api, &hook).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    api.declare_titled("Checkout down").await;
    let refused = tried(&api, id(&d)).await;
    let error = refused["last_error"].as_str().unwrap();
    assert!(error.contains("internal"), "{refused}");
    assert!(!error.contains(&hook) && !error.contains("/hook"), "the address is a secret: {error}");
    assert_eq!(refused["state"], "pending", "retried, in case the operator allows it");
    stays_quiet(&mut messages).await;
}

/// Answers every POST with a 307 to `to` (which would make a client re-send the body there), and
/// counts the requests.
async fn redirecting_receiver(to: String) -> (String, UnboundedReceiver<()>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let (tx, to) = (tx.clone(), to.clone());
            async move {
                let _ = tx.send(());
                (StatusCode::TEMPORARY_REDIRECT, [(reqwest::header::LOCATION, to)])
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_redirecting_receiver_is_a_failed_delivery(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (inside, mut leaked) = webhook_receiver().await;
    let (hook, mut hits) = redirecting_receiver(inside).await;
    let (_, d) = add(&api, &hook).await;
    api.declare_titled("Checkout down").await;
    tokio::time::timeout(Duration::from_secs(10), hits.recv()).await.expect("the receiver was asked");
    let failed = tried(&api, id(&d)).await;
    assert!(failed["last_error"].as_str().unwrap().contains("redirect (307"), "{failed}");
    stays_quiet(&mut leaked).await;
}
