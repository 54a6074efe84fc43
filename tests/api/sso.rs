//! Single sign-on against a real OpenID provider (`oidc-provider`, started per test): the first
//! sign-in creates or links the account, and every way it can go wrong lands on a page that says so.

use crate::accounts::{assert_no_secrets, audit};
use crate::common::oidc::{Provider, CLIENT_SECRET};
use crate::common::{spawn_with, spawn_with_sso, token_for, Options, TestApp, PASSWORD};
use crate::pages::{browser_like, page};
use crate::support::Api;
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use sqlx::PgPool;

fn location(res: &reqwest::Response) -> String {
    res.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default()
}

/// Starts a sign-in in `browser` and goes through the provider's login form as `login`; gives the
/// callback address the provider sends the browser back to (not followed yet).
async fn through_provider(browser: &Client, app: &TestApp, login: &str) -> String {
    let res = browser.get(app.url("/sso/start?next=/actions/mine")).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let mut url = location(&res);
    for _ in 0..10 {
        if url.starts_with(&app.url("/sso/callback")) {
            return url;
        }
        let res = browser.get(&url).send().await.unwrap();
        if res.status().is_redirection() {
            let next = location(&res);
            url = if next.starts_with('/') { format!("{}{next}", origin(&url)) } else { next };
            continue;
        }
        // The provider's login form.
        let html = res.text().await.unwrap();
        let start = html.find("action=\"").expect("a login form") + 8;
        let action = &html[start..start + html[start..].find('"').unwrap()];
        let action = if action.starts_with('/') { format!("{}{action}", origin(&url)) } else { action.to_string() };
        let res = browser
            .post(&action)
            .form(&[("prompt", "login"), ("login", login), ("password", "anything")])
            .send()
            .await
            .unwrap();
        let next = location(&res);
        url = if next.starts_with('/') { format!("{}{next}", origin(&url)) } else { next };
    }
    panic!("the provider never sent the browser back");
}

fn origin(url: &str) -> String {
    let after = url.find("://").unwrap() + 3;
    url[..after + url[after..].find('/').unwrap_or(url.len() - after)].to_string()
}

/// The sign-in page's problem after a failed sign-on, as its code in the address and its message.
async fn problem(browser: &Client, app: &TestApp, res: reqwest::Response) -> (String, String) {
    assert!(res.status().is_redirection(), "a redirect, never an error page: {}", res.status());
    let to = location(&res);
    let code = to.strip_prefix("/login?sso=").unwrap_or_else(|| panic!("to the sign-in page: {to}")).to_string();
    let (status, html) = page(browser, app, &to).await;
    assert_eq!(status, StatusCode::OK);
    (code, html)
}

#[sqlx::test(migrations = "./migrations")]
async fn the_first_sign_in_links_the_local_account_and_later_ones_find_it(pool: PgPool) {
    let (app, _provider) = spawn_with_sso(pool).await;
    let Account { token: ada, .. } = app.admin("ada@example.com", "Ada").await;
    // Grace has a local account already, under an old name.
    app.user("grace@example.com", "G. Hopper", "member").await;

    let browser = browser_like();
    let (_, login) = page(&browser, &app, "/login").await;
    assert!(login.contains("Sign in with Example SSO"), "{login}");
    let back = through_provider(&browser, &app, "grace").await;
    let res = browser.get(&back).send().await.unwrap();
    assert_eq!(location(&res), "/actions/mine", "signed in and sent where she was going");
    let (status, _) = page(&browser, &app, "/profile").await;
    assert_eq!(status, StatusCode::OK);

    let api = Api::new(&app, &ada);
    let (_, users) = api.get("/users").await;
    let graces: Vec<_> = users.as_array().unwrap().iter().filter(|u| u["email"] == "grace@example.com").collect();
    assert_eq!(graces.len(), 1, "linked, not duplicated: {users}");
    assert_eq!(graces[0]["name"], "Grace Hopper", "the provider's name");
    let signed_in = &audit(&api, "sign_in.succeeded").await[0];
    assert_eq!(signed_in["change"]["method"], "single sign-on");

    // A second sign-in (a new browser) finds the same account.
    let again = browser_like();
    let back = through_provider(&again, &app, "grace").await;
    assert_eq!(location(&again.get(&back).send().await.unwrap()), "/actions/mine");
    let (_, users) = api.get("/users").await;
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert_no_secrets(&app.pool, &[CLIENT_SECRET]).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_new_person_is_created_with_the_role_their_groups_give(pool: PgPool) {
    let (app, _provider) = spawn_with_sso(pool).await;
    let Account { token: ada, .. } = app.admin("ada@example.com", "Ada").await;
    for (login, email, role) in [("lead", "lead@example.com", "admin"), ("grace", "grace@example.com", "member")] {
        let browser = browser_like();
        let back = through_provider(&browser, &app, login).await;
        browser.get(&back).send().await.unwrap();
        let (_, users) = Api::new(&app, &ada).get("/users").await;
        let u = users.as_array().unwrap().iter().find(|u| u["email"] == email).unwrap().clone();
        assert_eq!(u["role"], role, "{u}");
    }
    let created = audit(&Api::new(&app, &ada), "user.created").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["change"]["via"], "single sign-on");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_wrong_state_a_replayed_code_and_a_bare_callback_are_refused(pool: PgPool) {
    let (app, _provider) = spawn_with_sso(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let browser = browser_like();

    let back = through_provider(&browser, &app, "grace").await;
    let forged = back.replace("state=", "state=forged");
    let (code, html) = problem(&browser, &app, browser.get(&forged).send().await.unwrap()).await;
    assert_eq!(code, "state_mismatch");
    assert!(html.contains("did not start in this browser"), "{html}");

    // A full sign-in, then the same code again inside a fresh sign-in's state.
    let back = through_provider(&browser, &app, "grace").await;
    assert_eq!(location(&browser.get(&back).send().await.unwrap()), "/actions/mine");
    let used_code = back.split(['?', '&']).find(|kv| kv.starts_with("code=")).unwrap().to_string();
    let res = browser.get(app.url("/sso/start")).send().await.unwrap();
    let new_state = location(&res).split(['?', '&']).find(|kv| kv.starts_with("state=")).unwrap().to_string();
    let replay = format!("{}?{used_code}&{new_state}", app.url("/sso/callback"));
    let (code, _) = problem(&browser, &app, browser.get(&replay).send().await.unwrap()).await;
    assert_eq!(code, "code_rejected");

    let (code, html) = problem(&browser, &app, browser.get(app.url("/sso/callback")).send().await.unwrap()).await;
    assert_eq!(code, "missing_parameters");
    assert!(html.contains("incomplete"));
    let (code, _) =
        problem(&browser, &app, browser.get(app.url("/sso/callback?error=access_denied")).send().await.unwrap()).await;
    assert_eq!(code, "denied");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unverified_email_and_a_foreign_domain_are_refused_and_nothing_is_created(pool: PgPool) {
    let (app, _provider) = spawn_with_sso(pool).await;
    let Account { token: ada, .. } = app.admin("ada@example.com", "Ada").await;
    for (login, want, says) in
        [("eve", "email_unverified", "not verified"), ("mallory", "domain_not_allowed", "email domain")]
    {
        let browser = browser_like();
        let back = through_provider(&browser, &app, login).await;
        let (code, html) = problem(&browser, &app, browser.get(&back).send().await.unwrap()).await;
        assert_eq!(code, want);
        assert!(html.contains(says), "{html}");
        assert_eq!(page(&browser, &app, "/profile").await.0, StatusCode::FOUND, "not signed in");
    }
    let (_, users) = Api::new(&app, &ada).get("/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_provider_that_is_down_is_said_so(pool: PgPool) {
    let config = Provider::config(&Provider::nowhere());
    let app = spawn_with(pool, Options { sso: Some(config), ..Options::default() }).await;
    app.user("ada@example.com", "Ada", "admin").await;
    let browser = browser_like();
    let (code, html) = problem(&browser, &app, browser.get(app.url("/sso/start")).send().await.unwrap()).await;
    assert_eq!(code, "provider_down");
    assert!(html.contains("did not answer"), "{html}");
    // Passwords still work meanwhile.
    crate::pages::sign_in_as(&app, "ada@example.com").await;
}

#[sqlx::test(migrations = "./migrations")]
async fn with_passwords_off_only_single_sign_on_signs_in(pool: PgPool) {
    let (app, _provider) = spawn_with_sso(pool).await;
    app.admin("ada@example.com", "Ada").await;
    let (_, login) = page(&browser_like(), &app, "/login").await;
    let sign_in = crate::pages::form_action(&login, "sign_in");
    let admin = crate::pages::sign_in_as(&app, "ada@example.com").await;
    let (_, html) = page(&admin, &app, "/settings/template").await;
    let action = crate::pages::form_action(&html, "set_local_passwords");
    crate::pages::post_form(&admin, &app, &action, "/settings/template", &app.base, &[("on", "off")]).await;

    let (_, login) = page(&browser_like(), &app, "/login").await;
    assert!(!login.contains("name=\"password\""), "no password form");
    let http = browser_like();
    let (_, html) = page(&http, &app, "/login").await;
    assert!(html.contains("data-testid=\"sso\""));
    // A password post is refused all the same.
    let res = crate::pages::post_form(
        &http,
        &app,
        &sign_in,
        "/login",
        &app.base,
        &[("email", "ada@example.com"), ("password", PASSWORD), ("next", ""), ("time_zone", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(page(&http, &app, "/profile").await.0, StatusCode::FOUND);
    let back = through_provider(&http, &app, "grace").await;
    assert_eq!(location(&http.get(&back).send().await.unwrap()), "/actions/mine");
    let api = Api::new(&app, &token_for(&app.pool, "ada@example.com", "read").await);
    let changed = audit(&api, "settings.changed").await;
    assert_eq!(changed[0]["change"]["local_passwords"], serde_json::json!({"from": true, "to": false}));
}

use crate::common::Account;

#[sqlx::test(migrations = "./migrations")]
async fn an_account_linked_to_another_identity_is_not_handed_over(pool: PgPool) {
    let (app, _provider) = spawn_with_sso(pool).await;
    app.user("grace@example.com", "Grace", "member").await;
    sqlx::query("UPDATE users SET sso_issuer = 'http://elsewhere.example', sso_subject = 'someone-else' WHERE email = 'grace@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    let browser = browser_like();
    let back = through_provider(&browser, &app, "grace").await;
    let (code, html) = problem(&browser, &app, browser.get(&back).send().await.unwrap()).await;
    assert_eq!(code, "linked_elsewhere");
    assert!(html.contains("another identity"), "{html}");
}
