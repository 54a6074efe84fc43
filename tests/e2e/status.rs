use crate::browser::Browser;
use crate::common::{spawn, PASSWORD};
use crate::support::Api;
use serde_json::json;
use sqlx::PgPool;

/// Without JavaScript an admin adds a service (a mistake is named, what was typed stays) and opens
/// the status page to everyone; a browser that never signed in then reads it.
#[sqlx::test(migrations = "./migrations")]
async fn an_admin_keeps_the_catalogue_and_opens_the_status_page_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.admin("ada@example.com", "Ada").await;
    Api::new(&app, &admin.token)
        .declare(json!({"title": "Search slow", "severity": "SEV3", "services": ["search"]}))
        .await;
    let b = Browser::without_javascript().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&app.url("/settings/status")).await;
    b.fill("#service-name", "search, typeahead").await;
    b.fill("#service-team", "Discovery").await;
    b.press("Add service").await;
    b.until_text("#name-error", "no commas").await;
    assert_eq!(b.find("#service-team").await.prop("value").await.unwrap().as_deref(), Some("Discovery"));
    b.fill("#service-name", "search").await;
    b.press("Add service").await;
    b.until_text("[data-testid=catalogue]", "Discovery").await;
    b.click("input[name=public]").await;
    b.press("Save").await;
    // The box is ticked before the post lands: wait for the setting itself.
    let api = Api::new(&app, &admin.token);
    b.until("the page to be public", || async { api.get("/settings").await.1["status_page_public"] == true }).await;
    b.quit().await;

    let stranger = Browser::without_javascript().await;
    stranger.goto(&app.url("/status")).await;
    stranger.until_text("[data-testid=overall]", "Some services are degraded").await;
    let row = stranger.text("[data-service=search]").await;
    assert!(row.contains("Degraded") && row.contains("Discovery"), "{row}");
    stranger.quit().await;
}
