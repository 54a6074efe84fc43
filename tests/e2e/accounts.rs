use crate::browser::Browser;
use crate::common::{spawn, PASSWORD};
use sqlx::PgPool;

/// An admin deactivates Grace while her own browser is signed in elsewhere: her next click lands on
/// the sign-in page, and signing in again is refused with a message.
#[sqlx::test(migrations = "./migrations")]
async fn a_deactivated_persons_next_click_lands_on_the_sign_in_page(pool: PgPool) {
    let app = spawn(pool).await;
    app.admin("ada@example.com", "Ada Lovelace").await;
    app.member("grace@example.com", "Grace Hopper").await;

    let grace = Browser::start().await;
    grace.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    grace.goto(&app.url("/incidents")).await;
    grace.until_hydrated().await;

    let ada = Browser::start().await;
    ada.sign_in(&app.base, "ada@example.com", PASSWORD).await;
    ada.goto(&app.url("/users")).await;
    ada.until_hydrated().await;
    ada.press("Deactivate Grace Hopper").await;
    ada.until_text("[data-testid=users]", "Deactivated").await;

    grace.click("a[href='/actions/mine']").await;
    grace.until_url_contains("/login").await;
    grace.fill("#email", "grace@example.com").await;
    grace.fill("#password", PASSWORD).await;
    grace.press("Sign in").await;
    grace.until_text("main", "deactivated").await;
    grace.quit().await;
    ada.quit().await;
}

/// A token made on the profile page is shown once, listed, and revoked in one click.
#[sqlx::test(migrations = "./migrations")]
async fn a_token_is_made_shown_once_and_revoked_on_the_profile_page(pool: PgPool) {
    let app = spawn(pool).await;
    app.member("grace@example.com", "Grace Hopper").await;
    let b = Browser::start().await;
    b.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    b.goto(&app.url("/profile")).await;
    b.until_hydrated().await;
    b.fill("#token-name", "Laptop script").await;
    b.press("Create token").await;
    b.until_text("[data-testid=secret]", "dbf_").await;
    let secret = b.text("[data-testid=secret] code").await;
    let me = reqwest::Client::new().get(app.url("/api/v1/me")).bearer_auth(secret.trim()).send().await.unwrap();
    assert_eq!(me.status(), 200);
    b.until_text("[data-testid=tokens]", "Laptop script").await;
    b.press("Revoke Laptop script").await;
    b.until_text("[data-testid=tokens]", "revoked").await;
    let me = reqwest::Client::new().get(app.url("/api/v1/me")).bearer_auth(secret.trim()).send().await.unwrap();
    assert_eq!(me.status(), 401);
    b.quit().await;
}

/// Single sign-on in the browser, through the real provider's own login page.
#[sqlx::test(migrations = "./migrations")]
async fn single_sign_on_through_the_providers_login_page(pool: PgPool) {
    let (app, _provider) = crate::common::spawn_with_sso(pool).await;
    app.admin("ada@example.com", "Ada Lovelace").await;
    let b = Browser::start().await;
    b.goto(&app.url("/login?next=/actions/mine")).await;
    b.until_hydrated().await;
    b.click("[data-testid=sso]").await;
    b.until_url_contains("/interaction/").await;
    b.fill("input[name=login]", "grace").await;
    b.fill("input[name=password]", "anything at all").await;
    b.press("Sign-in").await;
    b.until_url_contains("/actions/mine").await;
    b.until_text("#topbar", "Grace Hopper").await;
    b.quit().await;
}
