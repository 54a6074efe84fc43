//! Account lifecycle over the API and the pages: roles, deactivation, passwords, reset links and
//! sessions. Every step is checked for its audit entry too.

use crate::common::{Account, TestApp, PASSWORD};
use crate::pages::{browser_like, form_action, page, post_form, sign_in_as};
use crate::support::{expect_error, expect_field_error, Api};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

/// The newest audit entries with this action, through the API as the admin.
pub async fn audit(api: &Api<'_>, action: &str) -> Vec<Value> {
    let (status, list) = api.get(&format!("/audit?action={action}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// Posts a page's form for server function `name` as a browser without JavaScript.
async fn submit(
    http: &reqwest::Client,
    app: &TestApp,
    from: &str,
    name: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(http, app, from).await;
    post_form(http, app, &form_action(&html, name), from, &app.base, form).await
}

async fn signed_out(http: &reqwest::Client, app: &TestApp) -> bool {
    let res = http.get(app.url("/profile")).send().await.unwrap();
    res.status() == StatusCode::FOUND && res.headers()[LOCATION].to_str().unwrap().starts_with("/login")
}

#[sqlx::test(migrations = "./migrations")]
async fn admins_change_roles_and_the_audit_log_says_who_and_what(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let admin = Api::new(&app, &token);
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace Hopper").await;

    let (status, list) = admin.get("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["active"], true);
    expect_error(&Api::new(&app, &grace_token).get("/users").await, 403, "forbidden");

    let (status, changed) = admin.patch(&format!("/users/{}", grace.id), json!({"role": "reader"})).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["role"], "reader");
    // The change applies to her very next request.
    let grace_api = Api::new(&app, &grace_token);
    expect_error(&grace_api.post("/incidents", json!({"title": "x", "severity": "SEV3"})).await, 403, "forbidden");

    let entry = &audit(&admin, "user.role_changed").await[0];
    assert_eq!(entry["actor"]["name"], "Ada");
    assert_eq!(entry["object"]["type"], "user");
    assert_eq!(entry["object"]["id"], grace.id.to_string());
    assert_eq!(entry["change"], json!({"role": {"from": "member", "to": "reader"}}));
    assert!(entry["actor"]["token_id"].is_i64(), "made through a token: {entry}");
    assert_eq!(entry["address"], "127.0.0.1");

    let err =
        expect_field_error(&admin.patch(&format!("/users/{}", grace.id), json!({"role": "emperor"})).await, "role");
    assert!(err.contains("admin, member, reader"), "{err}");
    expect_error(&admin.patch("/users/999999", json!({"active": false})).await, 404, "not_found");
    expect_error(&admin.patch("/users/abc", json!({"active": false})).await, 404, "not_found");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_last_active_admin_can_be_neither_demoted_nor_deactivated(pool: PgPool) {
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let admin = Api::new(&app, &token);
    for body in [json!({"active": false}), json!({"role": "member"})] {
        let field = if body.get("active").is_some() { "active" } else { "role" };
        let msg = expect_field_error(&admin.patch(&format!("/users/{}", ada.id), body).await, field);
        assert!(msg.contains("at least one active admin"), "{msg}");
    }
    let (_, me) = admin.get("/me").await;
    assert_eq!(me["role"], "admin");
    assert!(audit(&admin, "user.deactivated").await.is_empty());

    // With a second admin, the first may step down.
    app.admin("grace@example.com", "Grace Hopper").await;
    let (status, _) = admin.patch(&format!("/users/{}", ada.id), json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn deactivation_ends_sessions_tokens_and_live_streams_at_once(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let admin = Api::new(&app, &token);
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace Hopper").await;
    let inc = admin.declare_titled("Disk full").await;
    let browser = sign_in_as(&app, "grace@example.com").await;
    let mut stream = browser.get(app.url(&format!("/live/incidents/{}", inc["id"]))).send().await.unwrap();
    assert_eq!(stream.status(), 200);

    let (status, out) = admin.patch(&format!("/users/{}", grace.id), json!({"active": false})).await;
    assert_eq!((status, &out["active"]), (StatusCode::OK, &json!(false)), "{out}");

    let refused = expect_error(&Api::new(&app, &grace_token).get("/me").await, 401, "unauthorized");
    assert!(refused["message"].as_str().unwrap().contains("deactivated"), "{refused}");
    assert!(signed_out(&browser, &app).await, "her browser session ended");
    // The open stream ends (a guard against hanging, not a timing assertion).
    let ended =
        tokio::time::timeout(Duration::from_secs(30), async { while let Ok(Some(_)) = stream.chunk().await {} }).await;
    assert!(ended.is_ok(), "the live stream stayed open");
    // Her password no longer signs her in, with a message saying why.
    let again = browser_like();
    let res = submit(
        &again,
        &app,
        "/login",
        "sign_in",
        &[("email", "grace@example.com"), ("password", PASSWORD), ("next", ""), ("time_zone", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(signed_out(&again, &app).await);
    // Her name stays in history and she can no longer be given work.
    let (_, list) = admin.get("/users").await;
    assert_eq!(list[1]["name"], "Grace Hopper");
    let msg = expect_field_error(
        &admin.post(&format!("/incidents/{}/participants", inc["id"]), json!({"user_id": grace.id})).await,
        "user_id",
    );
    assert!(msg.contains("deactivated"), "{msg}");
    let entry = &audit(&admin, "user.deactivated").await[0];
    assert_eq!(entry["change"]["active"], json!({"from": true, "to": false}));
    assert_eq!(entry["change"]["sign_ins_ended"], 1);

    // Reactivated, she signs in again (her old token works again too: it was never revoked).
    let (status, _) = admin.patch(&format!("/users/{}", grace.id), json!({"active": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!signed_out(&sign_in_as(&app, "grace@example.com").await, &app).await);
    assert_eq!(audit(&admin, "user.reactivated").await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn changing_ones_password_needs_the_current_one_and_signs_out_the_other_sessions(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let here = sign_in_as(&app, "ada@example.com").await;
    let elsewhere = sign_in_as(&app, "ada@example.com").await;
    let new = "a brand new passphrase";

    let res = submit(
        &here,
        &app,
        "/profile",
        "change_password",
        &[("current_password", "not my password"), ("new_password", "short"), ("confirm", "short")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = res.headers()[LOCATION].to_str().unwrap().replace(&app.base, "");
    let (_, html) = page(&here, &app, &back).await;
    assert!(html.contains("That is not your current password"), "both problems at once");
    assert!(html.contains("Use at least 12 characters"));
    assert!(!signed_out(&elsewhere, &app).await, "nothing changed");

    let res = submit(
        &here,
        &app,
        "/profile",
        "change_password",
        &[("current_password", PASSWORD), ("new_password", new), ("confirm", new)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(!signed_out(&here, &app).await, "this session stays");
    assert!(signed_out(&elsewhere, &app).await, "the other one ended");

    let admin = Api::new(&app, &token);
    let entry = &audit(&admin, "password.changed").await[0];
    assert_eq!(entry["change"]["sign_ins_ended"], 1);
    assert_no_secrets(&app.pool, &[new, PASSWORD]).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_reset_link_works_once_and_for_an_hour(pool: PgPool) {
    let (app, _) = TestApp::with_admin(pool).await;
    let Account { user: grace, .. } = app.member("grace@example.com", "Grace Hopper").await;
    let grace_browser = sign_in_as(&app, "grace@example.com").await;
    let admin = sign_in_as(&app, "ada@example.com").await;

    let res = submit(&admin, &app, "/users", "create_reset_link", &[("user_id", &grace.id.to_string())]).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let (_, html) = page(&admin, &app, "/users").await;
    let start = html.find("/reset/").expect("the link is shown once");
    let path: String = html[start..].chars().take_while(|c| *c != '<' && *c != '"').collect();
    let (_, again) = page(&admin, &app, "/users").await;
    assert!(!again.contains(&path), "shown only once");

    let stranger = browser_like();
    let (status, form) = page(&stranger, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("new_password"), "{form}");
    let new = "reset to something long";
    let res = submit(
        &stranger,
        &app,
        &path,
        "reset_password",
        &[("secret", &path[7..]), ("new_password", new), ("confirm", new)],
    )
    .await;
    assert_eq!(res.headers()[LOCATION], "/login?reset=done");
    assert!(signed_out(&grace_browser, &app).await, "a reset signs out every session");

    // Used: the page and the form both say so.
    let (_, used) = page(&stranger, &app, &path).await;
    assert!(used.contains("already been used"), "{used}");
    let res = submit(
        &stranger,
        &app,
        "/login",
        "sign_in",
        &[("email", "grace@example.com"), ("password", new), ("next", ""), ("time_zone", "")],
    )
    .await;
    assert_eq!(res.headers()[LOCATION], "/incidents");

    // An hour later a fresh link has expired.
    submit(&admin, &app, "/users", "create_reset_link", &[("user_id", &grace.id.to_string())]).await;
    let (_, html) = page(&admin, &app, "/users").await;
    let start = html.find("/reset/").unwrap();
    let path2: String = html[start..].chars().take_while(|c| *c != '<' && *c != '"').collect();
    sqlx::query("UPDATE password_resets SET created_at = now() - interval '61 minutes' WHERE used_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, expired) = page(&stranger, &app, &path2).await;
    assert!(expired.contains("expired"), "{expired}");
    let (_, bogus) = page(&stranger, &app, "/reset/nonsense").await;
    assert!(bogus.contains("not valid"), "{bogus}");

    let api = Api::new(&app, &crate::common::token_for(&app.pool, "ada@example.com", "read").await);
    assert_eq!(audit(&api, "password.reset_link_created").await.len(), 2);
    assert_eq!(audit(&api, "password.reset").await.len(), 1);
    assert_no_secrets(&app.pool, &[new, &path[7..], &path2[7..]]).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn sessions_are_listed_end_elsewhere_and_last_thirty_days_at_most(pool: PgPool) {
    let (app, _) = TestApp::with_admin(pool).await;
    let here = sign_in_as(&app, "ada@example.com").await;
    let other = sign_in_as(&app, "ada@example.com").await;
    let (_, html) = page(&here, &app, "/profile").await;
    assert!(html.contains("(this one)") && html.contains("Sign out the other 1"), "{html}");

    let res = submit(&here, &app, "/profile", "end_other_sessions", &[]).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(signed_out(&other, &app).await);
    assert!(!signed_out(&here, &app).await);

    // Active or not, a sign-in older than 30 days is over.
    sqlx::query("UPDATE sign_ins SET started_at = now() - interval '30 days 1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(signed_out(&here, &app).await);
}

/// No audit entry, log table or session row holds any of these secrets.
pub async fn assert_no_secrets(pool: &PgPool, secrets: &[&str]) {
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT row_to_json(a)::text FROM audit_log a").fetch_all(pool).await.unwrap();
    for s in secrets {
        for row in &audit {
            assert!(!row.contains(s), "a secret is in the audit log: {row}");
        }
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn the_users_page_finds_people_by_name_or_email(pool: PgPool) {
    let (app, _) = TestApp::with_admin(pool).await;
    app.member("grace@example.com", "Grace Hopper").await;
    app.member("bob@example.com", "Bob Dylan").await;
    let admin = sign_in_as(&app, "ada@example.com").await;
    let (_, all) = page(&admin, &app, "/users").await;
    assert!(all.contains("Showing 3 of 3 people") && all.contains("Bob Dylan"), "{all}");
    // The people table only (the tokens table below lists everyone's tokens).
    let people = |html: &str| {
        let start = html.find("data-testid=\"users\"").expect("the people table");
        html[start..start + html[start..].find("</table>").unwrap()].to_string()
    };
    let (_, found) = page(&admin, &app, "/users?q=GRACE").await;
    assert!(found.contains("Showing 1 of 3 people"), "{found}");
    let table = people(&found);
    assert!(table.contains("Grace Hopper") && !table.contains("Bob Dylan"), "{table}");
    let (_, by_email) = page(&admin, &app, "/users?q=bob%40example").await;
    let table = people(&by_email);
    assert!(table.contains("Bob Dylan") && !table.contains("Grace Hopper"), "{table}");
    let (_, long) = page(&admin, &app, &format!("/users?q={}", "x".repeat(300))).await;
    assert!(long.contains("at most 200 characters"), "{long}");
}
