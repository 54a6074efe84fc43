use crate::common::{spawn, Account, TestApp};
use crate::support::{expect_error, id, read, Api};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

/// Every API endpoint, with a body where it takes one.
fn endpoints(incident: i64) -> Vec<(Method, String, Option<serde_json::Value>)> {
    vec![
        (Method::GET, "/me".into(), None),
        (Method::GET, "/incidents".into(), None),
        (Method::POST, "/incidents".into(), Some(json!({"title": "Sneaky", "severity": "SEV1"}))),
        (Method::GET, format!("/incidents/{incident}"), None),
        (Method::PATCH, format!("/incidents/{incident}"), Some(json!({"version": 1, "status": "resolved"}))),
        (Method::GET, format!("/incidents/{incident}/timeline"), None),
        (Method::POST, format!("/incidents/{incident}/timeline"), Some(json!({"body": "sneaky note"}))),
    ]
}

#[sqlx::test(migrations = "./migrations")]
async fn me_describes_the_token_holder(pool: PgPool) {
    let (app, Account { user: ada, token: ada_token }) = TestApp::with_admin_named(pool, "Ada Lovelace").await;
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace Hopper").await;

    let (status, me) = Api::new(&app, &ada_token).get("/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me,
        json!({"id": ada.id, "email": "ada@example.com", "name": "Ada Lovelace", "role": "admin",
        "time_zone": "Europe/Paris", "team": "", "active": true})
    );

    let (status, me) = Api::new(&app, &grace_token).get("/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me,
        json!({"id": grace.id, "email": "grace@example.com", "name": "Grace Hopper", "role": "member",
        "time_zone": "Europe/Paris", "team": "", "active": true})
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn every_user_can_hold_several_tokens(pool: PgPool) {
    let (app, Account { user: ada, token: first }) = TestApp::with_admin(pool).await;
    let second = crate::common::token_for(&app.pool, "ada@example.com", "write").await;
    assert_ne!(first, second);
    for token in [&first, &second] {
        let (status, me) = Api::new(&app, token).get("/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["id"], ada.id);
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn every_endpoint_needs_a_token(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let http = reqwest::Client::new();

    for (method, path, body) in endpoints(id(&inc)) {
        let mut req = http.request(method.clone(), api.url(&path));
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = read(req).await;
        let error = expect_error(&res, 401, "unauthorized");
        assert!(error.get("fields").is_none(), "{method} {path}: {error}");
    }

    // Nothing was written by the refused requests.
    assert_eq!(api.incident(id(&inc)).await, inc);
    let (_, list) = api.get("/incidents").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(api.timeline(id(&inc)).await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_tokens_are_refused_everywhere(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let http = reqwest::Client::new();

    let bad_headers = [
        "Bearer dbf_0000000000000000000000000000000000000000000000000000000000000000".to_string(),
        "Bearer not-a-token".to_string(),
        "Bearer ".to_string(),
        "Bearer".to_string(),
        format!("Basic {token}"),
        format!("Token {token}"),
        token.clone(),
        // A real token with one character changed.
        format!("Bearer {}x", &token[..token.len() - 1]),
    ];
    for header in &bad_headers {
        for (method, path, body) in endpoints(id(&inc)) {
            let mut req = http.request(method.clone(), api.url(&path)).header("Authorization", header);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let res = read(req).await;
            assert_eq!(res.0, 401, "{method} {path} with Authorization {header:?}: {}", res.1);
            expect_error(&res, 401, "unauthorized");
        }
    }
    assert_eq!(api.incident(id(&inc)).await, inc, "refused requests changed nothing");
}

#[sqlx::test(migrations = "./migrations")]
async fn authentication_comes_before_input_checks(pool: PgPool) {
    let app = spawn(pool).await;
    let http = reqwest::Client::new();
    let url = |p: &str| app.url(&format!("/api/v1{p}"));

    // No token: 401 even when the incident does not exist or the body is broken.
    let res = read(http.get(url("/incidents/999999"))).await;
    expect_error(&res, 401, "unauthorized");
    let res = read(http.get(url("/incidents/not-a-number"))).await;
    expect_error(&res, 401, "unauthorized");
    let res = read(http.get(url("/incidents?status=sleeping"))).await;
    expect_error(&res, 401, "unauthorized");
    let res = read(http.post(url("/incidents")).header("Content-Type", "application/json").body("{not json")).await;
    expect_error(&res, 401, "unauthorized");
    let res = read(http.patch(url("/incidents/1")).header("Content-Type", "application/json").body("[")).await;
    expect_error(&res, 401, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_session_cookie_is_not_an_api_credential(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let res =
        read(reqwest::Client::new().get(app.url("/api/v1/me")).header("Cookie", format!("debrief_session={token}")))
            .await;
    expect_error(&res, 401, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn members_use_the_api_like_admins(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { user: grace, token } = app.member("grace@example.com", "Grace").await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Search is slow").await;
    assert_eq!(inc["declared_by"]["id"], grace.id);
    assert_eq!(inc["commander"], json!({"id": grace.id, "name": "Grace"}));
    let changed = api.change(&inc, json!({"status": "identified"})).await;
    assert_eq!(changed["status"], "identified");
    let (status, _) = api.note(id(&inc), json!({"body": "found it"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[sqlx::test(migrations = "./migrations")]
async fn unknown_api_paths_are_json_404s(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    for path in ["/nope", "/incidents/1/nope", "/incidents/1/timeline/2", "/v2/incidents"] {
        let res = api.get(path).await;
        expect_error(&res, 404, "not_found");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn unsupported_methods_are_json_errors(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare_titled("Checkout down").await;
    let res = read(api.request(Method::DELETE, &format!("/incidents/{}", id(&inc)))).await;
    assert_eq!(res.0, StatusCode::METHOD_NOT_ALLOWED, "{}", res.1);
    assert!(res.1["error"]["code"].is_string(), "{}", res.1);
    let res = read(api.request(Method::PUT, "/incidents")).await;
    assert_eq!(res.0, StatusCode::METHOD_NOT_ALLOWED, "{}", res.1);
    assert!(res.1["error"]["code"].is_string(), "{}", res.1);
}

#[sqlx::test(migrations = "./migrations")]
async fn unreadable_urls_are_json_errors(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    api.declare_titled("Checkout down").await;
    // A filter given twice is a bad filter.
    let res = api.get("/incidents?status=resolved&status=identified").await;
    expect_error(&res, 422, "invalid");
    // An id that is not even UTF-8 is not an incident.
    expect_error(&api.get("/incidents/%FF").await, 404, "not_found");
    expect_error(&api.get("/incidents/%FF/timeline").await, 404, "not_found");
    expect_error(&api.patch("/incidents/%FF", json!({"version": 1})).await, 404, "not_found");
}
