use crate::browser::Browser;
use crate::common::{spawn, Account, TestApp, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;

/// A JSON API call as `token`; it must succeed.
async fn call(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

/// What a page shows, as text, once `css` is there.
async fn page_text(b: &Browser, url: &str, css: &str) -> String {
    b.goto(url).await;
    b.text(css).await
}

/// Bob, a member who is not on the incident, cannot find a private incident anywhere: not in the
/// list, not by its address, not in the library or its search, not in the feed. Once Grace adds him
/// with "Add people", he finds it everywhere.
#[sqlx::test(migrations = "./migrations")]
async fn a_private_incident_is_found_only_by_its_people(pool: PgPool) {
    let app = spawn(pool).await;
    let Account { token: grace_token, .. } = app.member("grace@example.com", "Grace Hopper").await;
    let Account { token: root, .. } = app.admin("root@example.com", "Root").await;
    app.user("bob@example.com", "Bob Dylan", "member").await;

    // Grace declares it private in the browser.
    let grace = Browser::start().await;
    grace.sign_in(&app.base, "grace@example.com", PASSWORD).await;
    grace.goto(&app.url("/incidents/new")).await;
    grace.until_hydrated().await;
    grace.fill("#title", "Signing key leaked in a public gist").await;
    grace.click("input[name=severity][value=SEV1]").await;
    grace.click("input[name=private]").await;
    grace.press("Declare incident").await;
    grace.until_url_contains("/incidents/INC-").await;
    grace.until_text("[data-testid=incident]", "Private").await;
    let url = grace.url().await;
    let id: i64 = url.rsplit("INC-").next().unwrap().parse().unwrap();

    // Written, reviewed by an admin and published: it is in the library, for those who may see it.
    let inc = call(&app, &grace_token, reqwest::Method::GET, &format!("/incidents/{id}"), json!(null)).await;
    assert_eq!(inc["private"], true);
    let body = json!({"version": inc["version"], "status": "resolved"});
    call(&app, &grace_token, reqwest::Method::PATCH, &format!("/incidents/{id}"), body).await;
    let pm = call(&app, &grace_token, reqwest::Method::POST, &format!("/incidents/{id}/postmortem"), json!({})).await;
    for s in pm["sections"].as_array().unwrap().iter().filter(|s| s["required"] == true) {
        let key = s["key"].as_str().unwrap();
        let path = format!("/incidents/{id}/postmortem/sections/{key}");
        call(&app, &grace_token, reqwest::Method::PUT, &path, json!({"body": "Rotated the quokka key.", "version": 0}))
            .await;
    }
    call(&app, &grace_token, reqwest::Method::POST, &format!("/incidents/{id}/postmortem/submit"), json!({})).await;
    call(&app, &root, reqwest::Method::POST, &format!("/incidents/{id}/postmortem/approve"), json!({})).await;
    call(&app, &root, reqwest::Method::POST, &format!("/incidents/{id}/postmortem/publish"), json!({})).await;

    let bob = Browser::start().await;
    bob.sign_in(&app.base, "bob@example.com", PASSWORD).await;
    let title = "Signing key leaked";
    assert!(!page_text(&bob, &app.url("/incidents"), "main").await.contains(title));
    assert!(page_text(&bob, &url, "main").await.contains(&format!("There is no incident INC-{id}")));
    assert!(!page_text(&bob, &app.url("/library"), "main").await.contains(title));
    assert!(!page_text(&bob, &app.url("/library?q=quokka"), "main").await.contains(title));
    bob.goto(&app.url("/library/feed.xml")).await;
    assert!(!bob.c.source().await.unwrap().contains(title), "not in Bob's feed");

    // Grace adds Bob by name, in place.
    grace.goto(&url).await;
    grace.until_hydrated().await;
    grace.fill("#add-person", "bob dylan").await;
    grace.press("Add").await;
    grace.until_text("[data-testid=participants]", "Bob Dylan").await;

    assert!(page_text(&bob, &app.url("/incidents"), "main").await.contains(title));
    bob.goto(&url).await;
    bob.until_text("[data-testid=title]", title).await;
    assert!(page_text(&bob, &app.url("/library"), "main").await.contains(title));
    assert!(page_text(&bob, &app.url("/library?q=quokka"), "main").await.contains(title));
    bob.goto(&app.url("/library/feed.xml")).await;
    assert!(bob.c.source().await.unwrap().contains(title), "in Bob's feed");

    // A name that matches no one is a message beside the field, and the field keeps what was typed.
    grace.fill("#add-person", "Nobody Atall").await;
    grace.press("Add").await;
    grace.until_text("[data-testid=access]", "No one is called").await;
    assert_eq!(grace.find("#add-person").await.prop("value").await.unwrap().as_deref(), Some("Nobody Atall"));
    grace.quit().await;
    bob.quit().await;
}
