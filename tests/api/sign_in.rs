//! Sign-in over HTTP as the login form posts it: where it sends the browser afterwards, and the
//! throttle on failed attempts (per account and per client address, kept in Postgres).

use crate::common::{spawn, TestApp, PASSWORD};
use crate::pages::{browser_like, form_action, page, post_form};
use reqwest::header::{ACCEPT, LOCATION, ORIGIN, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

/// The sign-in server function's address, read from the login form.
async fn sign_in_action(app: &TestApp) -> String {
    let (_, html) = page(&browser_like(), app, "/login").await;
    form_action(&html, "sign_in")
}

/// Signs in as the hydrated page does: form-encoded, asking for JSON back.
async fn sign_in(http: &Client, app: &TestApp, action: &str, email: &str, password: &str) -> reqwest::Response {
    http.post(app.url(action))
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &app.base)
        .form(&[("email", email), ("password", password), ("next", ""), ("time_zone", "")])
        .send()
        .await
        .unwrap()
}

/// A 429 with `Retry-After` and the message saying the same number of seconds; returns them.
async fn expect_throttled(res: reqwest::Response) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    let body: Value = res.json().await.unwrap();
    let error = &body["TooManyRequests"];
    assert_eq!(error["message"], format!("Too many sign-in attempts. Try again in {retry} s."), "{body}");
    assert_eq!(error["retry_after_secs"], retry, "{body}");
    retry
}

async fn failures(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sign_in_failures WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn next_that_a_browser_would_read_as_another_site_goes_to_the_incident_list(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    // What the login page's hidden field holds for `?next=/%09/evil.example` and friends (the query is
    // decoded once), and the still-encoded forms.
    for next in
        ["/\t/evil.example", "/\n", "/\r/evil.example", "/\\evil.example", "/%09/evil.example", "/%0A", "/%5Cevil"]
    {
        let http = browser_like();
        let (_, html) = page(&http, &app, "/login").await;
        let action = form_action(&html, "sign_in");
        let form = [("email", "ada@example.com"), ("password", PASSWORD), ("next", next), ("time_zone", "")];
        let res = post_form(&http, &app, &action, "/login", &app.base, &form).await;
        assert_eq!(res.status(), StatusCode::FOUND, "next {next:?}");
        assert_eq!(res.headers()[LOCATION], "/incidents", "next {next:?}");
    }
    // A path on this site, query string and all, is kept.
    let http = browser_like();
    let (_, html) = page(&http, &app, "/login").await;
    let action = form_action(&html, "sign_in");
    let form = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("next", "/incidents?status=resolved"),
        ("time_zone", ""),
    ];
    let res = post_form(&http, &app, &action, "/login", &app.base, &form).await;
    assert_eq!(res.headers()[LOCATION], "/incidents?status=resolved");
}

#[sqlx::test(migrations = "./migrations")]
async fn five_failures_lock_the_account_even_against_the_right_password(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let action = sign_in_action(&app).await;
    // A failure older than the window, of someone else: recording new ones deletes it.
    sqlx::query("INSERT INTO sign_in_failures (email, address, failed_at) VALUES ('old@example.com', NULL, now() - interval '1 hour')")
        .execute(&app.pool)
        .await
        .unwrap();

    let http = Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for i in 0..5 {
        // The address differs only in case and spacing: still the same account.
        let email = if i % 2 == 0 { "ada@example.com" } else { " ADA@example.com " };
        let res = sign_in(&http, &app, &action, email, "not the password").await;
        assert!(res.status().is_server_error() || res.status().is_client_error(), "{}", res.status());
        assert_ne!(res.status(), StatusCode::TOO_MANY_REQUESTS, "attempt {i} is still allowed");
        assert!(res.text().await.unwrap().contains("do not match an account"));
    }
    assert_eq!(failures(&app, "old@example.com").await, 0, "old failures are deleted");
    assert_eq!(failures(&app, "ada@example.com").await, 5);

    let retry = expect_throttled(sign_in(&http, &app, &action, "ada@example.com", PASSWORD).await).await;
    assert!(retry > 800, "the first failure was moments ago: {retry}");
    assert_eq!(failures(&app, "ada@example.com").await, 5, "a refused attempt is not counted");
    let res = http.get(app.url("/incidents")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "not signed in");
    assert!(res.headers()[LOCATION].to_str().unwrap().starts_with("/login"));

    // Without JavaScript the form gets the message back, and the header.
    let browser = browser_like();
    let form = [("email", "ada@example.com"), ("password", PASSWORD), ("next", ""), ("time_zone", "")];
    let res = post_form(&browser, &app, &action, "/login", &app.base, &form).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(res.headers().contains_key(RETRY_AFTER));
    let back = res.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, html) = page(&browser, &app, back.trim_start_matches(&app.base)).await;
    assert!(html.contains("Too many sign-in attempts. Try again in "), "{html}");

    // Once the window has passed the right password works, and the account's failures are cleared.
    sqlx::query("UPDATE sign_in_failures SET failed_at = failed_at - interval '15 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let res = sign_in(&http, &app, &action, "ada@example.com", PASSWORD).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.text().await.unwrap());
    assert_eq!(failures(&app, "ada@example.com").await, 0);
    let res = http.get(app.url("/incidents")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "signed in");
}

#[sqlx::test(migrations = "./migrations")]
async fn one_address_trying_many_accounts_is_throttled_too(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("grace@example.com", "Grace", "member").await;
    let action = sign_in_action(&app).await;
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // A flood of 30 guesses at once, each at a different (unknown) account: exactly 20 are checked.
    let guesses = (0..30).map(|i| {
        let (http, app, action) = (&http, &app, &action);
        async move { sign_in(http, app, action, &format!("nobody{i}@example.com"), "guess").await.status() }
    });
    let statuses = futures::future::join_all(guesses).await;
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(refused, 10, "{statuses:?}");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures WHERE address = '127.0.0.1'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 20);

    // Grace never failed, but from this address her right password waits too.
    expect_throttled(sign_in(&http, &app, &action, "grace@example.com", PASSWORD).await).await;
    assert_eq!(failures(&app, "grace@example.com").await, 0);
}
