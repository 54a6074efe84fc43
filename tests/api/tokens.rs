//! Named, scoped, expiring API tokens; the feed's own tokens; the audit log's API and immutability.

use crate::accounts::{assert_no_secrets, audit};
use crate::common::{token_for, Account, TestApp};
use crate::pages::sign_in_as;
use crate::support::{expect_error, expect_field_error, read, Api};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn a_token_is_shown_once_listed_without_its_secret_and_revoked_at_once(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (status, made) =
        api.post("/tokens", json!({"name": "CI deploys", "scope": "write", "expires_at": "2099-01-31"})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["name"], "CI deploys");
    assert_eq!(made["scope"], "write");
    assert_eq!(made["expires_at"], "2099-02-01T00:00:00Z");
    let secret = made["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("dbf_"));

    let ci = Api::new(&app, &secret);
    assert_eq!(ci.get("/me").await.0, StatusCode::OK);
    let (_, list) = api.get("/tokens").await;
    let listed = list.as_array().unwrap().iter().find(|t| t["id"] == made["id"]).unwrap().clone();
    assert!(listed.get("token").is_none() && !list.to_string().contains(&secret), "{list}");
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert_eq!(listed["revoked_at"], json!(null));

    let (status, revoked) = read(api.request(Method::DELETE, &format!("/tokens/{}", made["id"]))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    let err = expect_error(&ci.get("/me").await, 401, "unauthorized");
    assert!(err["message"].as_str().unwrap().contains("revoked"), "{err}");

    let created = &audit(&api, "token.created").await;
    assert!(created.iter().any(|e| e["object"]["name"] == "CI deploys"), "{created:?}");
    assert_eq!(audit(&api, "token.revoked").await.len(), 1);
    assert_no_secrets(&app.pool, &[&secret]).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_read_only_token_reads_and_every_write_is_refused(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let inc = Api::new(&app, &token).declare_titled("Cache stampede").await;
    let ro = Api::new(&app, &token_for(&app.pool, "ada@example.com", "read").await);
    assert_eq!(ro.get(&format!("/incidents/{}", inc["id"])).await.0, StatusCode::OK);
    let writes = [
        (Method::POST, "/incidents".to_string(), json!({"title": "Sneaky", "severity": "SEV1"})),
        (Method::PATCH, format!("/incidents/{}", inc["id"]), json!({"version": inc["version"], "title": "Renamed"})),
        (Method::POST, format!("/incidents/{}/timeline", inc["id"]), json!({"body": "note"})),
        (Method::POST, "/tokens".to_string(), json!({"name": "escalate", "scope": "write"})),
        (Method::PUT, "/settings".to_string(), json!({"public_url": "https://x.example"})),
        (
            Method::POST,
            "/destinations".to_string(),
            json!({"kind": "slack", "name": "x", "url": "https://h.example/x", "events": ["declared"]}),
        ),
    ];
    for (method, path, body) in writes {
        let err = expect_error(&read(ro.request(method.clone(), &path).json(&body)).await, 403, "forbidden");
        assert!(err["message"].as_str().unwrap().contains("read-only"), "{method} {path}: {err}");
    }
    let (_, unchanged) = ro.get(&format!("/incidents/{}", inc["id"])).await;
    assert_eq!(unchanged["title"], "Cache stampede");
    assert_eq!(ro.timeline(inc["id"].as_i64().unwrap()).await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn expired_and_badly_asked_tokens_are_refused_with_reasons(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let e = expect_error(
        &api.post("/tokens", json!({"name": "", "scope": "root", "expires_at": "2001-01-01"})).await,
        422,
        "invalid",
    );
    for field in ["name", "scope", "expires_at"] {
        assert!(e["fields"][field].is_string(), "{field}: {e}");
    }
    expect_field_error(
        &api.post("/tokens", json!({"name": "x", "scope": "read", "expires_at": "soon"})).await,
        "expires_at",
    );
    expect_error(&api.post("/tokens", json!({"scope": "read"})).await, 422, "invalid");

    let (_, made) =
        api.post("/tokens", json!({"name": "short-lived", "scope": "read", "expires_at": "2099-01-01"})).await;
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(made["id"].as_i64().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let err = expect_error(&Api::new(&app, made["token"].as_str().unwrap()).get("/me").await, 401, "unauthorized");
    assert!(err["message"].as_str().unwrap().contains("expired"), "{err}");
    expect_error(&read(api.request(Method::DELETE, "/tokens/999999")).await, 404, "not_found");
}

#[sqlx::test(migrations = "./migrations")]
async fn people_see_and_revoke_their_own_tokens_and_admins_everyones(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: grace, .. } = app.member("grace@example.com", "Grace Hopper").await;
    let grace_api = Api::new(&app, &grace);
    let (_, mine) = grace_api.get("/tokens").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["user"]["name"], "Grace Hopper");
    expect_error(&grace_api.get("/tokens?all=true").await, 403, "forbidden");

    let (_, all) = Api::new(&app, &ada).get("/tokens?all=true").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let adas = all.as_array().unwrap().iter().find(|t| t["user"]["name"] == "Ada").unwrap();
    // Someone else's token is a 404 to a member, as if it did not exist; an admin may revoke it.
    expect_error(&read(grace_api.request(Method::DELETE, &format!("/tokens/{}", adas["id"]))).await, 404, "not_found");
    let graces = &mine[0]["id"];
    let (status, _) = read(Api::new(&app, &ada).request(Method::DELETE, &format!("/tokens/{graces}"))).await;
    assert_eq!(status, StatusCode::OK);
    expect_error(&grace_api.get("/me").await, 401, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_feed_takes_only_a_feed_token_and_a_feed_token_only_reads_the_feed(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let http = reqwest::Client::new();
    let feed = |t: &str| http.get(app.url(&format!("/library/feed.xml?token={t}"))).send();
    let full = feed(&token).await.unwrap();
    assert_eq!(full.status(), StatusCode::UNAUTHORIZED, "a full API token no longer works in the feed's address");

    // Made from the library page, shown once.
    let browser = sign_in_as(&app, "ada@example.com").await;
    let (_, html) = crate::pages::page(&browser, &app, "/library").await;
    let action = crate::pages::form_action(&html, "create_feed_link");
    crate::pages::post_form(&browser, &app, &action, "/library", &app.base, &[]).await;
    let (_, html) = crate::pages::page(&browser, &app, "/library").await;
    let start = html.find("feed.xml?token=").expect("the feed link is shown") + "feed.xml?token=".len();
    let feed_token: String = html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let (_, again) = crate::pages::page(&browser, &app, "/library").await;
    assert!(!again.contains(&feed_token), "shown once");
    let ok = feed(&feed_token).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let err = expect_error(&Api::new(&app, &feed_token).get("/incidents").await, 403, "forbidden");
    assert!(err["message"].as_str().unwrap().contains("feed"), "{err}");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_audit_log_is_append_only_even_for_the_application(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    Api::new(&app, &token).post("/tokens", json!({"name": "x", "scope": "read"})).await;
    let count = || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log").fetch_one(&app.pool);
    let before = count().await.unwrap();
    assert!(before >= 1);
    for sql in ["UPDATE audit_log SET action = 'sign_out'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(count().await.unwrap(), before);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_audit_log_filters_pages_and_downloads_and_is_for_admins(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let Account { user: grace, token: grace_token } = app.member("grace@example.com", "Grace Hopper").await;
    for i in 0..3 {
        api.post("/tokens", json!({"name": format!("=cmd|{i}"), "scope": "read"})).await;
    }
    // A failed sign-in: no actor, the email typed as the object, never the password.
    let browser = crate::pages::browser_like();
    let (_, html) = crate::pages::page(&browser, &app, "/login").await;
    let action = crate::pages::form_action(&html, "sign_in");
    let form = [("email", "grace@example.com"), ("password", "hunter2 guess"), ("next", ""), ("time_zone", "")];
    crate::pages::post_form(&browser, &app, &action, "/login", &app.base, &form).await;
    let failed = &audit(&api, "sign_in.failed").await[0];
    assert_eq!(failed["actor"], json!(null));
    assert_eq!(failed["object"]["name"], "grace@example.com");

    let res = read(api.request(Method::GET, "/audit?action=token.created&object=cmd&limit=2")).await;
    assert_eq!(res.1.as_array().unwrap().len(), 2);
    let page = api.request(Method::GET, "/audit?action=token.created&object=cmd&limit=2").send().await.unwrap();
    assert_eq!(page.headers()["x-total-count"], "3");
    let link = page.headers()["link"].to_str().unwrap().to_string();
    let next = &link[1..link.find('>').unwrap()];
    let rest = read(api.http.get(app.url(next)).bearer_auth(&api.token)).await;
    assert_eq!(rest.1.as_array().unwrap().len(), 1);
    let (_, by_actor) = api.get(&format!("/audit?actor={}", grace.email)).await;
    // Only what she did herself (the token the test made for her), not what was done to her account.
    let by_actor = by_actor.as_array().unwrap();
    assert!(!by_actor.is_empty() && by_actor.iter().all(|e| e["actor"]["user_id"] == grace.id), "{by_actor:?}");

    let e =
        expect_error(&api.get("/audit?action=coffee&from=yesterday&actor=nobody@example.com").await, 422, "invalid");
    for field in ["action", "from", "actor"] {
        assert!(e["fields"][field].is_string(), "{field}: {e}");
    }
    expect_error(&Api::new(&app, &grace_token).get("/audit").await, 403, "forbidden");

    let csv = api.request(Method::GET, "/audit?format=csv&action=token.created&object=%3Dcmd").send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert_eq!(body.lines().count(), 4, "{body}");
    assert!(body.contains("\"'=cmd|0\""), "formulas are defused: {body}");
    assert_no_secrets(&app.pool, &["hunter2 guess"]).await;
}
