//! Form state in the address: only this app's own no-JavaScript error redirect may pre-fill a form.

use crate::common::{spawn, TestApp};
use crate::pages::{browser_like, form_action, page, post_form, sign_in_as, signed_in};
use base64::{engine::general_purpose::URL_SAFE, Engine as _};
use debrief::error::AppError;
use leptos::server_fn::error::FromServerFnError;
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use sqlx::PgPool;

const EVIL: &str = "https://evil.example/collect";
const SAYS: &str = "Debrief moved: use the new address";

/// `page` with `__path` and `__err` appended exactly as server_fn appends a failed call's error.
fn crafted(app: &TestApp, page: &str, server_fn: &str, error: &AppError) -> String {
    let mut url = reqwest::Url::parse(&app.url(page)).unwrap();
    url.query_pairs_mut().append_pair("__path", server_fn).append_pair("__err", &URL_SAFE.encode(error.ser()));
    url.to_string()
}

fn evil_address() -> AppError {
    AppError::invalid("public_url", SAYS).with_values([("public_url", EVIL)])
}

/// Fetches `url` and follows redirects by hand, as a browser would; returns the final page.
async fn open(http: &Client, app: &TestApp, url: &str) -> (StatusCode, String) {
    let mut url = url.to_string();
    for _ in 0..5 {
        let res = http.get(&url).send().await.unwrap();
        match res.headers().get(LOCATION) {
            Some(to) if res.status().is_redirection() => {
                url = app.url(to.to_str().unwrap().trim_start_matches(&app.base))
            }
            _ => return (res.status(), res.text().await.unwrap()),
        }
    }
    panic!("redirect loop at {url}");
}

/// A real failed save from the Settings page: the redirect it answers with.
async fn failed_save(http: &Client, app: &TestApp) -> String {
    let (_, html) = page(http, app, "/settings/template").await;
    let action = form_action(&html, "save_settings");
    let form = [("public_url", "not an address")];
    let res = post_form(http, app, &action, "/settings/template", &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    res.headers()[LOCATION].to_str().unwrap().to_string()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_crafted_link_does_not_prefill_the_settings_form(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let (_, html) = page(&http, &app, "/settings/template").await;
    let save = form_action(&html, "save_settings");
    let link = crafted(&app, "/settings/template?tab=1", &save, &evil_address());

    let (status, html) = open(&http, &app, &link).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"public_url\""), "the form is shown: {html}");
    assert!(!html.contains("evil.example"), "crafted value shown: {html}");
    assert!(!html.contains(SAYS), "crafted message shown: {html}");
    // The browser's address loses the state too, so the hydrated page cannot read it either.
    let res = http.get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/settings/template?tab=1", "other parameters are kept");

    // Nor with a made-up signature.
    let forged = format!("{link}&__mac={}", "ab".repeat(32));
    let (_, html) = open(&http, &app, &forged).await;
    assert!(!html.contains("evil.example") && !html.contains(SAYS), "{html}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_crafted_link_does_not_choose_admin_on_the_users_page(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let (_, html) = page(&http, &app, "/users").await;
    let add = form_action(&html, "add_user");
    let error = AppError::invalid("email", "Check the address").with_values([
        ("email", "eve@evil.example"),
        ("name", "Eve"),
        ("role", "admin"),
    ]);
    let (status, html) = open(&http, &app, &crafted(&app, "/users", &add, &error)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("eve@evil.example") && !html.contains("Check the address"), "{html}");
    assert!(html.contains("<option value=\"member\" selected"), "member stays the default: {html}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_failed_form_post_still_comes_back_with_what_was_typed(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let back = failed_save(&http, &app).await;
    assert!(back.contains("__err=") && back.contains("__mac="), "signed: {back}");
    let (status, html) = page(&http, &app, back.trim_start_matches(&app.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"not an address\""), "typed value kept: {html}");
    assert!(html.contains("Enter an http:// or https:// address"), "field message shown: {html}");

    // A second failure on the same page replaces the first.
    let (_, html) = page(&http, &app, "/settings/template").await;
    let action = form_action(&html, "save_settings");
    let form = [("public_url", "still not one")];
    let res = post_form(&http, &app, &action, back.trim_start_matches(&app.base), &app.base, &form).await;
    let again = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(again.matches("__err=").count(), 1, "{again}");
    let (status, html) = page(&http, &app, again.trim_start_matches(&app.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"still not one\""), "{html}");
}

#[sqlx::test(migrations = "./migrations")]
async fn form_state_is_honoured_only_in_the_session_that_made_it(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let back = failed_save(&http, &app).await;
    app.user("grace@example.com", "Grace", "admin").await;
    let other = sign_in_as(&app, "grace@example.com").await;
    let (status, html) = open(&other, &app, &back).await;
    assert_eq!(status, 200);
    assert!(!html.contains("not an address"), "another session replayed the state: {html}");
    let (_, html) = open(&browser_like(), &app, &back).await;
    assert!(!html.contains("not an address"), "a signed-out browser replayed the state: {html}");
}

#[sqlx::test(migrations = "./migrations")]
async fn sign_in_next_cannot_carry_form_state(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let http = browser_like();
    let (_, html) = page(&http, &app, "/login").await;
    let sign_in = form_action(&html, "sign_in");
    let next = crafted(&app, "/settings/template", "/api/save_settings", &evil_address());
    let next = next.trim_start_matches(&app.base);
    let form = [("email", "ada@example.com"), ("password", crate::common::PASSWORD), ("next", next), ("time_zone", "")];
    let res = post_form(&http, &app, &sign_in, "/login", &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/settings/template", "the state is dropped from next");
}

#[sqlx::test(migrations = "./migrations")]
async fn form_state_signed_by_one_instance_verifies_on_another(pool: PgPool) {
    let (one, two) = tokio::join!(spawn(pool.clone()), spawn(pool));
    let http = signed_in(&one).await;
    let back = failed_save(&http, &one).await;
    // Cookies are per host, not per port: the same session rides along to the second instance.
    let (status, html) = page(&http, &two, back.trim_start_matches(&one.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"not an address\""), "{html}");
}
