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
