//! The status page and its catalogue: states from open incidents, the latest updates, what was
//! resolved this week, what is never shown (private incidents, triage), reading it signed out
//! only when an admin allows it, and the feed.

use crate::accounts::audit;
use crate::common::{Account, TestApp};
use crate::pages::{browser_like, page, sign_in_as};
use crate::support::{expect_error, expect_field_error, id, read, Api};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

fn service<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {status}"))
}

fn refs(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|i| i["reference"].as_str().unwrap().to_string()).collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn services_take_the_state_of_their_worst_open_incident(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    for (name, team) in [("checkout", "Payments"), ("search", "Discovery"), ("login", "Identity")] {
        let (status, s) = api.post("/services", json!({"name": name, "team": team})).await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
    }
    let (_, empty) = api.get("/status").await;
    assert_eq!(empty["state"], "operational");
    assert!(empty["services"].as_array().unwrap().iter().all(|s| s["state"] == "operational"), "{empty}");

    let major =
        api.declare(json!({"title": "Checkout down", "severity": "SEV1", "services": ["Checkout", "payments"]})).await;
    let minor = api.declare(json!({"title": "Search slow", "severity": "SEV3", "services": ["search"]})).await;
    let low = api.declare(json!({"title": "Login flaky in staging", "severity": "SEV4", "services": ["login"]})).await;
    api.declare(json!({"title": "Leaked key", "severity": "SEV1", "services": ["login"], "private": true})).await;
    let body = json!({"message": "Rolling back the deploy", "impact": "Card payments fail", "next_update_at": "30"});
    assert_eq!(api.post(&format!("/incidents/{}/updates", id(&major)), body).await.0, StatusCode::CREATED);
    let fixed = api.declare(json!({"title": "Cache cold", "severity": "SEV2", "services": ["search"]})).await;
    api.change(&fixed, json!({"status": "resolved"})).await;

    let (status, page) = api.get("/status").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["state"], "major_outage");
    assert_eq!(service(&page, "checkout")["state"], "major_outage");
    assert_eq!(service(&page, "checkout")["team"], "Payments");
    assert_eq!(service(&page, "payments")["state"], "major_outage", "named on an incident only");
    assert_eq!(service(&page, "payments")["in_catalogue"], false);
    assert_eq!(service(&page, "search")["state"], "degraded");
    assert_eq!(service(&page, "login")["state"], "operational", "a SEV4, and a private SEV1 that is not shown");
    assert_eq!(service(&page, "login")["incidents"], json!([low["ref"]]));
    let open = refs(&page["open"]);
    assert_eq!(open, [major["ref"].as_str().unwrap(), minor["ref"].as_str().unwrap(), low["ref"].as_str().unwrap()]);
    assert_eq!(page["open"][0]["latest_update"]["message"], "Rolling back the deploy");
    assert_eq!(page["open"][0]["latest_update"]["impact"], "Card payments fail");
    assert_eq!(refs(&page["resolved"]), [fixed["ref"].as_str().unwrap()]);
    assert!(!page.to_string().contains("Leaked"), "{page}");
    assert!(!page.to_string().contains("Ada"), "no names on the status page: {page}");
}

#[sqlx::test(migrations = "./migrations")]
async fn alerts_in_triage_and_declined_ones_are_not_shown(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let (_, made) = api.post("/integrations", json!({"kind": "generic", "name": "Grafana"})).await;
    let alert = |key: &str| json!({"title": format!("Disk {key}"), "dedup_key": key, "status": "firing", "severity": "critical", "services": ["storage"]});
    let send = |a: Value| {
        reqwest::Client::new()
            .post(app.url("/api/v1/integrations/generic"))
            .bearer_auth(made["token"].as_str().unwrap())
            .json(&a)
    };
    let (_, first) = read(send(alert("db1"))).await;
    let (_, second) = read(send(alert("db2"))).await;
    let (_, page) = api.get("/status").await;
    assert_eq!(page["open"], json!([]), "triage is not confirmed: {page}");
    let declined = api
        .post(
            &format!("/incidents/{}/decline", second["incident"].as_str().unwrap().trim_start_matches("INC-")),
            json!({"reason": "test alert"}),
        )
        .await;
    assert_eq!(declined.0, StatusCode::OK, "{}", declined.1);
    let inc = first["incident"].as_str().unwrap().trim_start_matches("INC-").to_string();
    assert_eq!(api.post(&format!("/incidents/{inc}/accept"), json!({})).await.0, StatusCode::OK);
    let (_, page) = api.get("/status").await;
    assert_eq!(refs(&page["open"]), [first["incident"].as_str().unwrap()]);
    assert_eq!(service(&page, "storage")["state"], "major_outage");
    assert_eq!(page["resolved"], json!([]), "a declined alert was never an incident");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_catalogue_is_checked_and_kept_by_admins(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let res = api.post("/services", json!({"name": "a, b", "team": "t".repeat(81)})).await;
    expect_field_error(&res, "name");
    expect_field_error(&res, "team");
    let (_, made) = api.post("/services", json!({"name": "checkout", "description": "Cart and payment"})).await;
    assert!(expect_field_error(&api.post("/services", json!({"name": "Checkout"})).await, "name").contains("already"));
    let member = app.member("grace@example.com", "Grace").await;
    let m = Api::new(&app, &member.token);
    expect_error(&m.post("/services", json!({"name": "search"})).await, 403, "forbidden");
    assert_eq!(m.get("/services").await.1.as_array().unwrap().len(), 1, "everyone signed in reads it");
    let gone = read(api.request(Method::DELETE, &format!("/services/{}", id(&made))));
    let res = gone.await;
    assert_eq!((res.0, res.1["name"].as_str()), (StatusCode::OK, Some("checkout")), "{}", res.1);
    expect_error(&read(api.request(Method::DELETE, &format!("/services/{}", id(&made)))).await, 404, "not_found");
    assert_eq!(audit(&api, "service.added").await.len(), 1);
    assert_eq!(audit(&api, "service.removed").await.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn signed_out_readers_see_it_only_when_an_admin_allows(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    api.declare(json!({"title": "Checkout down", "severity": "SEV2", "services": ["checkout"]})).await;
    let anonymous = reqwest::Client::new();
    expect_error(&read(anonymous.get(app.url("/api/v1/status"))).await, 401, "unauthorized");
    let feed = anonymous.get(app.url("/status/feed.xml")).send().await.unwrap();
    assert_eq!(feed.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = page(&browser_like(), &app, "/status").await;
    assert!(status.is_redirection() || status == StatusCode::OK, "{status}");

    let member = app.member("grace@example.com", "Grace").await;
    let m = Api::new(&app, &member.token);
    expect_error(
        &read(
            m.request(Method::PUT, "/settings")
                .json(&json!({"public_url": "http://d.test", "status_page_public": true})),
        )
        .await,
        403,
        "forbidden",
    );
    let (status, saved) = read(
        api.request(Method::PUT, "/settings").json(&json!({"public_url": "http://d.test", "status_page_public": true})),
    )
    .await;
    assert_eq!((status, saved["status_page_public"].as_bool()), (StatusCode::OK, Some(true)), "{saved}");

    let (status, open) = read(anonymous.get(app.url("/api/v1/status"))).await;
    assert_eq!((status, open["state"].as_str()), (StatusCode::OK, Some("degraded")), "{open}");
    let (status, html) = page(&browser_like(), &app, "/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Some services are degraded") && html.contains("Checkout down"), "{html}");
    assert!(html.contains("http-equiv=\"refresh\""), "it refreshes itself: {html}");
    // A bad token is still refused, public or not.
    let bad = read(anonymous.get(app.url("/api/v1/status")).bearer_auth("dbf_nope")).await;
    expect_error(&bad, 401, "unauthorized");
    // Publicity is one setting: keeping public_url alone leaves it.
    read(api.request(Method::PUT, "/settings").json(&json!({"public_url": "http://d.test"}))).await;
    assert_eq!(api.get("/settings").await.1["status_page_public"], true);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_page_and_the_feed_show_the_latest_updates(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = api.declare(json!({"title": "Checkout <down>", "severity": "SEV1", "services": ["checkout"]})).await;
    let secret = api.declare(json!({"title": "Leaked key", "severity": "SEV1", "private": true})).await;
    for (i, message) in
        [(&inc, "Investigating card failures"), (&inc, "Rolled back & watching"), (&secret, "Rotating keys")]
    {
        assert_eq!(
            api.post(&format!("/incidents/{}/updates", id(i)), json!({"message": message})).await.0,
            StatusCode::CREATED
        );
    }
    let http = sign_in_as(&app, "ada@example.com").await;
    let (status, html) = page(&http, &app, "/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Major outage") && html.contains("Rolled back &amp; watching"), "{html}");
    assert!(!html.contains("Investigating card failures"), "only the latest update: {html}");
    assert!(html.contains("Checkout &lt;down&gt;") && !html.contains("Leaked"), "{html}");

    let xml = http.get(app.url("/status/feed.xml")).send().await.unwrap().text().await.unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let titles: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("content")).filter_map(|n| n.text()).collect();
    assert_eq!(titles, ["Rolled back & watching", "Investigating card failures"], "{xml}");
}
