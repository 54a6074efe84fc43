use crate::browser::Browser;
use crate::common::{Account, TestApp, PASSWORD};
use crate::support::Api;
use sqlx::PgPool;

/// Two people write the same section: the second save shows both texts and nothing is lost;
/// the write-up downloads as Markdown.
#[sqlx::test(migrations = "./migrations")]
async fn write_sections_resolve_a_conflict_and_download(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    app.user("grace@example.com", "Grace", "member").await;
    let inc: serde_json::Value =
        Api::new(&app, &token).declare(serde_json::json!({"title": "Checkout down", "severity": "SEV2"})).await;
    let page = app.url(&format!("{}/postmortem", inc["url"].as_str().unwrap()));

    let ada = Browser::start().await;
    ada.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    ada.goto(&page).await;
    ada.press("Start the postmortem").await;
    ada.find("[data-testid=section-summary] textarea").await;
    ada.until_hydrated().await;

    let grace = Browser::start().await;
    grace.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    grace.goto(&page).await;
    grace.until_hydrated().await;
    grace.fill("#body-summary", "Checkout failed for 20 minutes after a config push.").await;
    grace.press("Save Summary").await;
    grace.until_text("[data-testid=section-summary] [data-testid=rendered]", "Checkout failed for 20 minutes").await;

    // Ada's page still shows version 0: her save conflicts and shows Grace's text beside hers.
    ada.fill("#body-summary", "Payments were down; we rolled back.").await;
    ada.press("Save Summary").await;
    ada.until_text("[data-testid=conflict] [data-testid=theirs]", "Checkout failed for 20 minutes").await;
    let mine = ada.find("#body-summary").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(mine, "Payments were down; we rolled back.", "what Ada typed is still there");

    // She merges and saves on top of Grace's version.
    ada.fill("#body-summary", "Checkout failed for 20 minutes after a config push; we rolled back.").await;
    ada.press("Save Summary").await;
    ada.until_text("[data-testid=section-summary] [data-testid=rendered]", "we rolled back").await;

    // Blameless check on a section, shown with a suggestion.
    ada.fill("#body-trigger", "Human error during the deploy.").await;
    ada.press("Save Trigger").await;
    ada.until_text("[data-testid=section-trigger] [data-testid=flags]", "Try:").await;

    // While writing, the preview renders the text and checks its wording before anything is saved.
    ada.fill("#body-lessons", "Obviously the **dashboards** should have shown it.").await;
    let preview = "//section[@data-testid='section-lessons']//button[normalize-space(.)='Preview']";
    ada.c.find(fantoccini::Locator::XPath(preview)).await.unwrap().click().await.unwrap();
    ada.until_text("[data-testid=section-lessons] [data-testid=preview]", "dashboards").await;
    ada.until_text("[data-testid=section-lessons] [data-testid=preview-flags]", "Try:").await;

    // Unsaved, it survives a reload.
    ada.goto(&page).await;
    ada.until_hydrated().await;
    ada.until_text("[data-testid=section-lessons]", "Restored your unsaved draft.").await;
    let kept = ada.find("#body-lessons").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(kept, "Obviously the **dashboards** should have shown it.");

    let md = ada
        .c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('a[download]').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let md = md.as_str().unwrap();
    assert!(md.contains("## Summary") && md.contains("we rolled back"), "{md}");
    ada.quit().await;
    grace.quit().await;
}
