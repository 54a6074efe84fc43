//! Every text field has a limit, and going past it is a field message that changes nothing.

use crate::common::{spawn, Account};
use crate::reviews::{act, write_required};
use crate::support::{expect_field_error, id, Api};
use debrief::domain::validate::{NOTE_MAX, PASSWORD_MAX, QUERY_MAX, REASON_MAX};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn over_long_texts_are_refused_field_by_field(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let Account { token: ada, .. } = app.admin("ada@example.com", "Ada").await;
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace").await;
    let (a, g) = (Api::new(&app, &ada), Api::new(&app, &grace_token));

    // A 1.5 MB close reason.
    let inc = a.declare_titled("Search slow").await;
    let inc = a.change(&inc, json!({"status": "resolved"})).await;
    let i = id(&inc);
    let huge = "r".repeat(1_500_000);
    let res = a.post(&format!("/incidents/{i}/close"), json!({"reason": huge})).await;
    assert!(expect_field_error(&res, "reason").contains(&REASON_MAX.to_string()));
    let res = a.post(&format!("/incidents/{i}/close"), json!({"reason": "r".repeat(REASON_MAX + 1)})).await;
    expect_field_error(&res, "reason");
    assert_eq!(a.incident(i).await["status"], "resolved", "nothing closed");

    // Review comments and the section they name.
    a.post(&format!("/incidents/{i}/postmortem"), json!({})).await;
    write_required(&a, i, "Search was slow.").await;
    act(&a, i, "submit", json!({"reviewers": [grace.id]})).await;
    let long = "c".repeat(NOTE_MAX + 1);
    expect_field_error(
        &g.post(&format!("/incidents/{i}/postmortem/request-changes"), json!({"comment": long})).await,
        "comment",
    );
    let res = g
        .post(
            &format!("/incidents/{i}/postmortem/request-changes"),
            json!({"comment": "Numbers?", "section": "x".repeat(5000)}),
        )
        .await;
    expect_field_error(&res, "section");
    let res =
        g.post(&format!("/incidents/{i}/postmortem/comments"), json!({"comment": "c".repeat(NOTE_MAX + 1)})).await;
    expect_field_error(&res, "comment");
    let res =
        g.post(&format!("/incidents/{i}/postmortem/comments"), json!({"comment": "Fine", "section": "nope"})).await;
    expect_field_error(&res, "section");
    let (_, pm) = g.get(&format!("/incidents/{i}/postmortem")).await;
    assert_eq!((pm["status"].as_str(), pm["comments"].as_array().map(Vec::len)), (Some("in_review"), Some(0)));
    let (status, pm) = g
        .post(&format!("/incidents/{i}/postmortem/comments"), json!({"comment": "Impact?", "section": "impact"}))
        .await;
    assert_eq!(status, 201, "{pm}");

    // Searches and filters.
    let q = "q".repeat(QUERY_MAX + 1);
    expect_field_error(&a.get(&format!("/library?q={q}")).await, "q");
    expect_field_error(&a.get(&format!("/library?service={q}")).await, "service");
    expect_field_error(&a.get(&format!("/actions?service={q}")).await, "service");
    expect_field_error(&a.get(&format!("/actions?team={q}")).await, "team");

    // Passwords, where they are set.
    let err = debrief::server::accounts::create_user(
        &pool,
        debrief::server::accounts::NewUser {
            email: "long@example.com",
            name: "Long",
            role: "member",
            password: &"p".repeat(PASSWORD_MAX + 1),
            time_zone: None,
            team: None,
        },
    )
    .await
    .unwrap_err();
    assert!(err.field("password").unwrap().contains("at most"), "{err:?}");
}

/// A megabyte password at sign-in is simply wrong: refused at once, without hashing it.
#[sqlx::test(migrations = "./migrations")]
async fn a_huge_password_at_sign_in_is_just_wrong(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let http = crate::pages::browser_like();
    let (_, html) = crate::pages::page(&http, &app, "/login").await;
    let action = crate::pages::form_action(&html, "sign_in");
    let huge = "p".repeat(1_000_000);
    let res = crate::pages::post_form(
        &http,
        &app,
        &action,
        "/login",
        &app.base,
        &[("email", "ada@example.com"), ("password", &huge), ("next", ""), ("time_zone", "")],
    )
    .await;
    assert_eq!(res.status(), 302, "sent back to the form");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("/login?") && location.contains("__err="), "{location}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_body_over_the_limit_is_a_413_in_the_error_shape(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &token);
    let body = json!({"title": "x", "severity": "SEV2", "summary": "s".repeat(3 * 1024 * 1024)});
    let res = crate::support::read(api.request(reqwest::Method::POST, "/incidents").json(&body)).await;
    let e = crate::support::expect_error(&res, 413, "too_large");
    assert!(e["message"].as_str().unwrap().contains("2048 KiB"), "{e}");
    let (_, list) = api.get("/incidents").await;
    assert!(list.as_array().unwrap().is_empty(), "nothing declared");
}

#[sqlx::test(migrations = "./migrations")]
async fn text_with_a_nul_character_is_refused_and_nothing_is_half_written(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &token);
    let res = api.post("/incidents", json!({"title": "DNS\u{0}down", "severity": "SEV2"})).await;
    let e = crate::support::expect_error(&res, 422, "invalid");
    assert!(e["message"].as_str().unwrap().contains("NUL"), "{e}");
    let res = api.post("/services", json!({"name": "dns", "description": "a\u{0}b"})).await;
    crate::support::expect_error(&res, 422, "invalid");
    let (_, list) = api.get("/incidents").await;
    assert!(list.as_array().unwrap().is_empty(), "nothing declared: {list}");
    let (_, services) = api.get("/services").await;
    assert!(services.as_array().unwrap().is_empty(), "nothing added: {services}");
}
