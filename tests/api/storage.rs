//! A value in the database that no longer means anything is an error, never a silent default.

use crate::common::{Account, TestApp};
use crate::support::{expect_error, id, Api};
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn a_bad_stored_severity_is_an_error_not_another_severity(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let good = id(&api.declare_titled("Disk full").await);
    let bad = id(&api.declare_titled("Queue backlog").await);
    // Only a hand-made change can store it: the column's CHECK refuses it otherwise.
    sqlx::raw_sql(
        "ALTER TABLE incidents DROP CONSTRAINT incidents_severity_check;
         UPDATE incidents SET severity = 'SEV9' WHERE title = 'Queue backlog'",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let e = expect_error(&api.get(&format!("/incidents/{bad}")).await, 500, "internal");
    assert!(!e["message"].as_str().unwrap().contains("SEV9"), "the details are logged, not shown: {e}");
    expect_error(&api.get("/incidents").await, 500, "internal");
    let (status, ok) = api.get(&format!("/incidents/{good}")).await;
    assert_eq!((status.as_u16(), ok["severity"].as_str()), (200, Some("SEV2")));
}

/// Migration 19: the publication webhook of before becomes a destination hearing what it heard.
#[sqlx::test(migrations = false)]
async fn the_old_publication_webhook_becomes_a_destination(pool: PgPool) {
    let run = |below: i64| {
        let pool = pool.clone();
        async move {
            for m in debrief::startup::MIGRATOR.iter().filter(|m| m.version < below) {
                sqlx::raw_sql(&m.sql).execute(&pool).await.unwrap_or_else(|e| panic!("{}: {e}", m.description));
            }
        }
    };
    run(19).await;
    sqlx::raw_sql(
        "INSERT INTO users (email, name, role, password_hash) VALUES ('m@example.com', 'Mel', 'member', NULL),
                                                                   ('a@example.com', 'Ada', 'admin', NULL);
         INSERT INTO settings (key, value) VALUES ('webhook_url', 'https://hooks.slack.com/services/T0/B0/x')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let m19 = debrief::startup::MIGRATOR.iter().find(|m| m.version == 19).expect("migration 19");
    sqlx::raw_sql(&m19.sql).execute(&pool).await.unwrap();

    let (kind, url, events, by): (String, String, Vec<String>, String) = sqlx::query_as(
        "SELECT d.kind, d.url, d.events, u.name FROM destinations d JOIN users u ON u.id = d.created_by",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), url.as_str(), by.as_str()),
        ("slack", "https://hooks.slack.com/services/T0/B0/x", "Ada")
    );
    assert_eq!(events, ["published", "action_overdue"]);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM settings WHERE key = 'webhook_url'").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0);
}
