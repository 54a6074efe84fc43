//! Live updates cross app instances: a change made through one instance reaches a reader whose
//! event stream is served by another, through Postgres LISTEN/NOTIFY.

use crate::common::spawn;
use crate::pages::signed_in;
use crate::support::Api;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

#[sqlx::test(migrations = "./migrations")]
async fn a_change_through_one_instance_reaches_a_stream_on_another(pool: PgPool) {
    let reader_side = spawn(pool.clone()).await;
    let writer_side = spawn(pool.clone()).await;
    let browser = signed_in(&reader_side).await;
    let token = crate::common::token_for(&pool, "ada@example.com", "write").await;
    let api = reqwest::Client::new();
    let inc: serde_json::Value =
        Api::new(&writer_side, &token).declare(serde_json::json!({"title": "Queue backlog", "severity": "SEV2"})).await;
    let id = inc["id"].as_i64().unwrap();

    let mut stream = browser.get(reader_side.url(&format!("/live/incidents/{id}"))).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));

    // Another incident's change must not show up on this stream; this one's must.
    let other: serde_json::Value =
        Api::new(&writer_side, &token).declare(serde_json::json!({"title": "Unrelated", "severity": "SEV4"})).await;
    assert_ne!(other["id"], inc["id"]);
    let res = api
        .post(writer_side.url(&format!("/api/v1/incidents/{id}/timeline")))
        .bearer_auth(&token)
        .json(&json!({"body": "Consumers scaled out"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // A guard against hanging, not a timing assertion.
    let received = tokio::time::timeout(Duration::from_secs(30), async {
        let mut seen = String::new();
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: changed") {
                break;
            }
        }
        seen
    })
    .await
    .expect("no live event arrived");
    assert!(received.contains("event: changed\ndata: note"), "{received}");
}

#[sqlx::test(migrations = "./migrations")]
async fn event_streams_need_a_signed_in_user(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let res = reqwest::get(app.url("/live/incidents/1")).await.unwrap();
    assert_eq!(res.status(), 401);
}
