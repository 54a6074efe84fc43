//! Webhook destinations: no internal addresses unless the operator allows them, no redirects, and
//! the address (a secret) never in an answer.

use crate::actions::{create, in_days, item};
use crate::common::{spawn, spawn_with, Account, Options, TestApp};
use crate::reviews::publish_new;
use crate::support::{expect_field_error, id, read, webhook_receiver, Api};
use debrief::server::actions::send_daily_digest;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

async fn strict(pool: PgPool) -> TestApp {
    spawn_with(pool, Options { webhook_allow_private: false, ..Options::default() }).await
}

async fn put_settings(api: &Api<'_>, webhook: &str) -> (StatusCode, Value) {
    let body = json!({"webhook_url": webhook, "public_url": "http://127.0.0.1:3000"});
    read(api.request(Method::PUT, "/settings").json(&body)).await
}

/// Nothing arrives at `rx` for a moment.
async fn stays_quiet(rx: &mut UnboundedReceiver<Value>) {
    let got = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    assert!(got.is_err(), "a message arrived: {got:?}");
}

/// An overdue action item, so the day's digest has something to send.
async fn overdue_item(api: &Api<'_>, owner: i64) {
    let inc = id(&api.declare_titled("Checkout down").await);
    create(api, inc, item(owner, json!({"title": "Alert on 5xx", "due_on": in_days(-3)}))).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn internal_webhook_addresses_are_refused_when_saved(pool: PgPool) {
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
    ] {
        let message = expect_field_error(&put_settings(&api, url).await, "webhook_url");
        assert!(message.contains("internal address"), "{url}: {message}");
    }
    assert_eq!(api.get("/settings").await.1["webhook_url"], "", "nothing was saved");
    let (status, saved) = put_settings(&api, "https://hooks.slack.com/services/T0/B0/x").await;
    assert_eq!(status, StatusCode::OK, "a public address is fine: {saved}");
    let (status, _) = put_settings(&api, "").await;
    assert_eq!(status, StatusCode::OK, "and so is none");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_internal_address_saved_while_allowed_is_refused_at_send_time(pool: PgPool) {
    // One instance allows private addresses and saves one; another, on the same database, does not.
    let open = spawn(pool.clone()).await;
    let locked = strict(pool).await;
    let Account { user: ada, token } = open.admin("ada@example.com", "Ada").await;
    let api = Api::new(&open, &token);
    let (hook, mut messages) = webhook_receiver().await;
    assert_eq!(put_settings(&api, &hook).await.0, StatusCode::OK);
    overdue_item(&api, ada.id).await;

    let now = chrono::Utc::now();
    let refused = send_daily_digest(&locked.pool, &locked.outbound, now).await;
    let e = refused.expect_err("the digest must not go to 127.0.0.1");
    assert!(e.to_string().contains("internal"), "{e}");
    assert!(!e.to_string().contains(&hook), "the address is a secret: {e}");
    stays_quiet(&mut messages).await;
    // The day stays unclaimed, so an instance allowed to send it still does.
    assert!(send_daily_digest(&open.pool, &open.outbound, now).await.unwrap());
    assert!(messages.recv().await.is_some());

    // A publication announced by the strict instance does not go out either.
    let Account { token: locked_token, .. } = locked.admin("grace@example.com", "Grace").await;
    publish_new(&Api::new(&locked, &locked_token), json!({"title": "DNS", "severity": "SEV2"}), "DNS failed.").await;
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
async fn a_redirecting_webhook_is_a_failed_delivery(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (inside, mut leaked) = webhook_receiver().await;
    let (hook, mut hits) = redirecting_receiver(inside).await;
    assert_eq!(put_settings(&api, &hook).await.0, StatusCode::OK);
    overdue_item(&api, ada.id).await;

    let now = chrono::Utc::now();
    let e = send_daily_digest(&app.pool, &app.outbound, now).await.expect_err("a 307 is not a delivery");
    assert!(e.to_string().contains("redirect (307"), "{e}");
    assert!(hits.recv().await.is_some(), "the webhook was asked");
    stays_quiet(&mut leaked).await;
    let claimed: i64 = sqlx::query_scalar("SELECT count(*) FROM digest_runs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(claimed, 0, "the day stays unclaimed for another try");

    // The announcement of a publication is not followed there either.
    publish_new(&api, json!({"title": "DNS", "severity": "SEV2"}), "DNS failed.").await;
    tokio::time::timeout(Duration::from_secs(20), hits.recv()).await.expect("announcement attempted");
    stays_quiet(&mut leaked).await;
}
