//! Server-rendered pages and plain (no-JavaScript) form posts: sign-in, redirects, CSRF refusal and
//! behaviour while the database is down.

use crate::common::{spawn, TestApp, PASSWORD};
use reqwest::header::{ACCEPT, LOCATION, ORIGIN, REFERER};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use sqlx::PgPool;

/// A client that, like a browser, asks for HTML, keeps cookies and shows us each redirect.
pub fn browser_like() -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(ACCEPT, "text/html,application/xhtml+xml".parse().unwrap());
    Client::builder().cookie_store(true).redirect(Policy::none()).default_headers(headers).build().unwrap()
}

/// The `action` of the form that posts to the server function `name`.
pub fn form_action(html: &str, name: &str) -> String {
    let needle = format!("action=\"/api/{name}");
    let start = html.find(&needle).unwrap_or_else(|| panic!("no form for {name} in:\n{html}")) + 8;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

pub async fn page(http: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = http.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Posts a form as a browser without JavaScript does.
pub async fn post_form(
    http: &Client,
    app: &TestApp,
    action: &str,
    from: &str,
    origin: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    http.post(app.url(action))
        .header(ACCEPT, "text/html")
        .header(ORIGIN, origin)
        .header(REFERER, app.url(from))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn signed_in(app: &TestApp) -> Client {
    app.user("ada@example.com", "Ada", "admin").await;
    sign_in_as(app, "ada@example.com").await
}

/// A browser signed in as an existing user (whose password is `PASSWORD`).
pub async fn sign_in_as(app: &TestApp, email: &str) -> Client {
    let http = browser_like();
    let (_, html) = page(&http, app, "/login").await;
    let action = form_action(&html, "sign_in");
    let res = post_form(
        &http,
        app,
        &action,
        "/login?next=/incidents",
        &app.base,
        &[("email", email), ("password", PASSWORD), ("next", "/incidents"), ("time_zone", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/incidents");
    http
}

#[sqlx::test(migrations = "./migrations")]
async fn empty_database_sends_everyone_to_setup(pool: PgPool) {
    let app = spawn(pool).await;
    let http = browser_like();
    let res = http.get(app.url("/incidents")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/setup");
    let (status, html) = page(&http, &app, "/setup").await;
    assert_eq!(status, 200);
    assert!(html.contains("Create the first admin account"));
}

#[sqlx::test(migrations = "./migrations")]
async fn first_admin_can_be_created_only_once(pool: PgPool) {
    let app = spawn(pool).await;
    let http = browser_like();
    let (_, html) = page(&http, &app, "/setup").await;
    let action = form_action(&html, "create_first_admin");
    let form = [("email", "ada@example.com"), ("name", "Ada"), ("password", PASSWORD), ("time_zone", "Europe/Paris")];
    let res = post_form(&http, &app, &action, "/setup", &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/incidents");
    let (status, html) = page(&http, &app, "/incidents").await;
    assert_eq!(status, 200, "signed in by set-up");
    assert!(html.contains("Declare incident"));

    let other = browser_like();
    let form = [("email", "eve@example.com"), ("name", "Eve"), ("password", PASSWORD), ("time_zone", "")];
    let res = post_form(&other, &app, &action, "/setup", &app.base, &form).await;
    let location = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "refused, with the error for the form: {location}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn signed_out_pages_redirect_to_sign_in_and_back(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let res = browser_like().get(app.url("/incidents?status=resolved")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/login?next=/incidents%3Fstatus%3Dresolved");
}

#[sqlx::test(migrations = "./migrations")]
async fn wrong_password_keeps_the_email_and_says_why(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let http = browser_like();
    let (_, html) = page(&http, &app, "/login").await;
    let action = form_action(&html, "sign_in");
    let form = [("email", "ada@example.com"), ("password", "not the password"), ("next", ""), ("time_zone", "")];
    let res = post_form(&http, &app, &action, "/login", &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = res.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, html) = page(&http, &app, back.trim_start_matches(&app.base)).await;
    assert!(html.contains("do not match an account"), "{html}");
    assert!(html.contains("value=\"ada@example.com\""), "email kept");
}

#[sqlx::test(migrations = "./migrations")]
async fn declaring_without_javascript_redirects_to_the_incident(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let (_, html) = page(&http, &app, "/incidents/new").await;
    assert!(html.contains("SEV1") && html.contains("Critical"), "severities with their meaning");
    let action = form_action(&html, "declare_incident");
    let form = [
        ("title", "DNS failing"),
        ("severity", "SEV2"),
        ("summary", ""),
        ("services", "dns, edge"),
        ("started_at", ""),
    ];
    let res = post_form(&http, &app, &action, "/incidents/new", &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/incidents/INC-1");
    let (status, html) = page(&http, &app, "/incidents/INC-1").await;
    assert_eq!(status, 200);
    assert!(html.contains("DNS failing") && html.contains("dns, edge"));
    assert!(html.contains(" UTC</time>"), "full UTC time shown");
    assert!(html.contains("(Europe/Paris)"), "and the reader's zone");

    let (status, _) = page(&http, &app, "/incidents/INC-999").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = "./migrations")]
async fn cross_site_form_posts_are_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let (_, html) = page(&http, &app, "/incidents/new").await;
    let action = form_action(&html, "declare_incident");
    let form = [("title", "Forged"), ("severity", "SEV1")];
    let res = post_form(&http, &app, &action, "/incidents/new", "https://evil.example", &form).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = http.post(app.url(&action)).header("sec-fetch-site", "cross-site").form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM incidents").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 0, "nothing was declared");
}

#[sqlx::test(migrations = "./migrations")]
async fn database_down_is_said_plainly(pool: PgPool) {
    // An app whose database is unreachable (nothing listens on port 9).
    let dead = debrief::startup::pool("postgres://nobody:x@127.0.0.1:9/none", 2).unwrap();
    let (leptos_options, assets) = debrief::startup::site(Some(&crate::common::site_root())).unwrap();
    let state = debrief::server::AppState {
        live: debrief::server::live::Live::start(dead.clone()),
        pool: dead,
        leptos_options,
        assets,
        form_key: debrief::server::form_state::FormKey::random(),
        outbound: debrief::server::webhook::Outbound::new(true).unwrap(),
        sso: None,
    };
    drop(pool);
    let app = debrief::startup::router(state, false).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = browser_like();

    let res = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);

    let res = http.get(format!("{base}/incidents")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = res.text().await.unwrap();
    assert!(html.contains("cannot reach its database"), "{html}");
    assert!(html.contains("http-equiv=\"refresh\""), "retries by itself");

    let res = http.get(format!("{base}/api/v1/me")).bearer_auth("dbf_x").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
}

#[sqlx::test(migrations = "./migrations")]
async fn pages_allow_only_their_own_scripts(pool: PgPool) {
    let app = spawn(pool).await;
    let http = signed_in(&app).await;
    let res = http.get(app.url("/incidents")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let html = res.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "Leptos' scripts carry the policy's nonce");
    // Every script on the page carries it, including the sign-in page's own.
    let (_, login) = page(&browser_like(), &app, "/login").await;
    let tags: Vec<&str> = login.split("<script").skip(1).map(|t| &t[..t.find('>').unwrap()]).collect();
    assert!(!tags.is_empty() && tags.iter().all(|t| t.contains("nonce=\"")), "{tags:?}");

    let res = http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff", "API answers carry the headers too");
    let other = http.get(app.url("/incidents")).send().await.unwrap();
    assert_ne!(other.headers()["content-security-policy"].to_str().unwrap(), csp, "a fresh nonce per response");
}
