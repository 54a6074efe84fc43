use crate::browser::Browser;
use crate::common::{spawn, Account, TestApp, PASSWORD};
use crate::support::Api;
use sqlx::PgPool;

/// First run to first status change, as a responder would do it, with JavaScript.
#[sqlx::test(migrations = "./migrations")]
async fn first_run_declare_note_and_status(pool: PgPool) {
    let app = spawn(pool).await;
    let b = Browser::start().await;

    // An empty database asks for the first admin.
    b.goto(&app.url("/")).await;
    b.until_url_contains("/setup").await;
    b.fill("#email", "ada@example.com").await;
    b.fill("#name", "Ada Lovelace").await;
    b.fill("#password", PASSWORD).await;
    b.press("Create admin account").await;
    b.until_url_contains("/incidents").await;

    // Sign out and back in.
    b.until_hydrated().await;
    b.press("Sign out").await;
    b.until_url_contains("/login").await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;

    // Declare: title, severity, one submit.
    b.click("a.declare").await;
    b.until_url_contains("/incidents/new").await;
    b.until_hydrated().await;
    b.fill("#title", "Checkout returns 500").await;
    b.click("input[name=severity][value=SEV2]").await;
    b.press("Declare incident").await;
    b.until_url_contains("/incidents/INC-").await;
    b.until_text("[data-testid=title]", "Checkout returns 500").await;
    assert_eq!(b.text("[data-testid=status]").await, "Investigating");
    assert!(b.text("[data-testid=role-commander]").await.contains("Ada Lovelace"), "declarer commands");

    // A note with Enter; hydrated, so the page must not reload (the marker survives).
    b.until_hydrated().await;
    b.js("window.__stayed = true; return null;").await;
    b.fill("[data-testid=note-body]", "Rolled back **v42**\n").await;
    b.until_text("[data-testid=timeline]", "Rolled back v42").await;
    assert_eq!(b.js("return window.__stayed === true;").await, serde_json::json!(true), "form submitted in place");
    let html = b.find("[data-testid=timeline]").await.html(true).await.unwrap();
    assert!(html.contains("<strong>v42</strong>"), "Markdown rendered: {html}");
    assert_eq!(b.find("[data-testid=note-body]").await.prop("value").await.unwrap().as_deref(), Some(""));
    assert_eq!(b.js("return document.activeElement.id;").await, "note-body", "ready for the next note");

    // The running duration ticks.
    let before = b.text("[data-testid=duration]").await;
    b.until("the duration to tick", || async { b.text("[data-testid=duration]").await != before }).await;

    // Status change, logged on the timeline.
    b.press("Mark identified").await;
    b.until_text("[data-testid=status]", "Identified").await;
    b.until_text("[data-testid=timeline]", "changed the status from Investigating to Identified").await;
    b.quit().await;
}

/// A second responder sees a new note appear without reloading.
#[sqlx::test(migrations = "./migrations")]
async fn second_session_sees_notes_live(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    app.user("grace@example.com", "Grace", "member").await;
    let inc: serde_json::Value =
        Api::new(&app, &token).declare(serde_json::json!({"title": "Search is slow", "severity": "SEV3"})).await;
    let page = app.url(inc["url"].as_str().unwrap());

    let watcher = Browser::start().await;
    watcher.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    watcher.goto(&page).await;
    watcher.until_hydrated().await;
    watcher.js("window.__stayed = true; return null;").await;

    let writer = Browser::start().await;
    writer.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    writer.goto(&page).await;
    writer.until_hydrated().await;
    writer.fill("[data-testid=note-body]", "Index rebuild started\n").await;
    writer.until_text("[data-testid=timeline]", "Index rebuild started").await;

    watcher.until_text("[data-testid=timeline]", "Index rebuild started").await;
    assert_eq!(watcher.js("return window.__stayed === true;").await, serde_json::json!(true), "no reload");

    // Status changes arrive the same way.
    writer.press("Mark monitoring").await;
    watcher.until_text("[data-testid=status]", "Monitoring").await;
    watcher.quit().await;
    writer.quit().await;
}

/// Everything a responder needs works with JavaScript off: real forms and redirects.
#[sqlx::test(migrations = "./migrations")]
async fn declare_and_note_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let b = Browser::without_javascript().await;
    b.sign_in(&app.base, "ada@example.com", PASSWORD).await;

    b.goto(&app.url("/incidents/new")).await;
    // A title that is too long comes back with a message, and what was typed is kept.
    let long = "x".repeat(250);
    b.fill("#title", &long).await;
    b.click("input[name=severity][value=SEV1]").await;
    b.press("Declare incident").await;
    b.until_text(".field-error", "under 200 characters").await;
    assert_eq!(b.find("#title").await.prop("value").await.unwrap().as_deref(), Some(long.as_str()));

    b.fill("#title", "Payments failing").await;
    b.press("Declare incident").await;
    b.until_url_contains("/incidents/INC-").await;
    b.until_text("[data-testid=title]", "Payments failing").await;
    assert_eq!(b.text("[data-testid=ref]").await, "INC-1");

    b.fill("[data-testid=note-body]", "Card processor timing out\n").await;
    b.until_text("[data-testid=timeline]", "Card processor timing out").await;

    b.press("Mark resolved").await;
    b.until_text("[data-testid=status]", "Resolved").await;
    b.quit().await;
}
