use crate::browser::Browser;
use crate::common::{spawn, Account, PASSWORD};
use crate::support::Api;
use sqlx::PgPool;

/// A responder posts a stakeholder update in place; a second browser on the incident sees it arrive
/// at the top of the page, live.
#[sqlx::test(migrations = "./migrations")]
async fn an_update_posted_in_place_reaches_another_browser_live(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    app.member("grace@example.com", "Grace").await;
    let inc = Api::new(&app, &token).declare_titled("Payments failing").await;
    let url = app.url(&format!("/incidents/INC-{}", inc["id"]));

    let watcher = Browser::start().await;
    watcher.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    watcher.goto(&url).await;
    watcher.until_hydrated().await;

    let b = Browser::start().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    b.goto(&url).await;
    b.until_hydrated().await;
    b.click(".update-form summary").await;
    b.fill("#update-message", "Card processor timing out; failing over").await;
    b.fill("#update-impact", "About 5% of checkouts fail").await;
    b.click("#update-next option[value='30']").await;
    b.press("Post update").await;
    b.until_text("[data-testid=latest-update]", "failing over").await;
    watcher.until_text("[data-testid=latest-update]", "About 5% of checkouts fail").await;
    watcher.until_text("[data-testid=latest-update]", "Next update by").await;
    b.quit().await;
    watcher.quit().await;
}
