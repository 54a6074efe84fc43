//! Private incidents: the one visibility rule, participants, and every place a private incident
//! must not show to those who may not see it.

use crate::actions::{create, item};
use crate::common::{spawn, Account, TestApp};
use crate::pages::{page, sign_in_as};
use crate::reviews::{act, write_required};
use crate::support::{expect_error, expect_field_error, id, read, Api};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

/// Ada (admin), Grace (member, declares), Bob (member, outsider), Rita (reader).
struct Cast<'a> {
    ada: Api<'a>,
    grace: Api<'a>,
    bob: Api<'a>,
    rita: Api<'a>,
    bob_id: i64,
    rita_id: i64,
}

async fn cast(app: &TestApp) -> Cast<'_> {
    let Account { token: ada, .. } = app.admin("ada@example.com", "Ada").await;
    let Account { token: grace, .. } = app.member("grace@example.com", "Grace").await;
    let Account { user: bob, token: bob_token } = app.member("bob@example.com", "Bob").await;
    let Account { user: rita, token: rita_token } = app.reader("rita@example.com", "Rita").await;
    Cast {
        ada: Api::new(app, &ada),
        grace: Api::new(app, &grace),
        bob: Api::new(app, &bob_token),
        rita: Api::new(app, &rita_token),
        bob_id: bob.id,
        rita_id: rita.id,
    }
}

async fn declare_private(api: &Api<'_>, title: &str) -> Value {
    let inc = api.declare(json!({"title": title, "severity": "SEV2", "private": true})).await;
    assert_eq!(inc["private"], true, "{inc}");
    inc
}

async fn add(api: &Api<'_>, inc: i64, user_id: i64) -> (StatusCode, Value) {
    api.post(&format!("/incidents/{inc}/participants"), json!({"user_id": user_id})).await
}

async fn remove(api: &Api<'_>, inc: i64, user_id: &str) -> (StatusCode, Value) {
    read(api.request(Method::DELETE, &format!("/incidents/{inc}/participants/{user_id}"))).await
}

fn listed(list: &Value, inc: i64) -> bool {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .any(|i| i["id"].as_i64() == Some(inc) || i["incident_id"].as_i64() == Some(inc))
}

/// Every JSON read of the incident and what belongs to it, with the status `api` gets.
async fn reads(api: &Api<'_>, inc: i64, action: i64) -> Vec<(String, StatusCode)> {
    let mut out = Vec::new();
    for path in [
        format!("/incidents/{inc}"),
        format!("/incidents/{inc}/timeline"),
        format!("/incidents/{inc}/postmortem"),
        format!("/incidents/{inc}/postmortem/sections/summary/revisions"),
        format!("/actions/{action}"),
    ] {
        out.push((path.clone(), api.get(&path).await.0));
    }
    let md = api.request(Method::GET, &format!("/incidents/{inc}/postmortem.md")).send().await.unwrap();
    out.push(("postmortem.md".into(), md.status()));
    out
}

#[sqlx::test(migrations = "./migrations")]
async fn the_visibility_rule(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let c = cast(&app).await;
    let Account { user: owner, token: _ } = app.member("olga@example.com", "Olga").await;
    let Account { user: scribe, token: _ } = app.member("sam@example.com", "Sam").await;
    let Account { user: guest, token: _ } = app.member("gus@example.com", "Gus").await;
    let public = id(&c.grace.declare_titled("Public outage").await);
    let private = id(&declare_private(&c.grace, "Leaked credential").await);
    create(&c.grace, private, item(owner.id, json!({}))).await;
    let (status, _) = c.grace.post(&format!("/incidents/{private}/actions"), item(c.rita_id, json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a reader cannot own an action item");
    let (status, body) =
        c.grace.post(&format!("/incidents/{private}/participants"), json!({"user_id": guest.id})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    sqlx::query("UPDATE incidents SET scribe_id = $2 WHERE id = $1")
        .bind(private)
        .bind(scribe.id)
        .execute(&pool)
        .await
        .unwrap();

    let visible = |incident: i64, viewer: Option<i64>| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT incident_visible($1, $2)")
                .bind(incident)
                .bind(viewer)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let ada_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    let grace_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'grace@example.com'").fetch_one(&pool).await.unwrap();
    for viewer in [None, Some(c.bob_id), Some(c.rita_id), Some(ada_id)] {
        assert!(visible(public, viewer).await, "a public incident is seen by everyone ({viewer:?})");
    }
    assert!(visible(private, Some(ada_id)).await, "admin");
    assert!(visible(private, Some(grace_id)).await, "declarer and commander");
    assert!(visible(private, Some(scribe.id)).await, "role holder");
    assert!(visible(private, Some(owner.id)).await, "action-item owner");
    assert!(visible(private, Some(guest.id)).await, "participant");
    assert!(!visible(private, Some(c.bob_id)).await, "another member");
    assert!(!visible(private, Some(c.rita_id)).await, "a reader");
    assert!(!visible(private, None).await, "everyone (webhooks, digest)");
    assert!(!visible(9999, Some(ada_id)).await, "no such incident");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_private_incident_does_not_exist_for_outsiders(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let inc = id(&declare_private(&c.grace, "Leaked credential").await);
    let public = id(&c.grace.declare_titled("Search slow").await);
    let (status, pm) = c.grace.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    write_required(&c.grace, inc, "A key was pushed to a public repository.").await;
    let grace_id = c.grace.incident(inc).await["declared_by"]["id"].as_i64().unwrap();
    let action = id(&create(&c.grace, inc, item(grace_id, json!({"due_on": "2020-01-01"}))).await);

    for (path, status) in reads(&c.grace, inc, action).await {
        assert_eq!(status, StatusCode::OK, "the declarer reads {path}");
    }
    for (path, status) in reads(&c.ada, inc, action).await {
        assert_eq!(status, StatusCode::OK, "an admin reads {path}");
    }
    for api in [&c.bob, &c.rita] {
        for (path, status) in reads(api, inc, action).await {
            assert_eq!(status, StatusCode::NOT_FOUND, "an outsider gets 404 for {path}");
        }
        let (_, list) = api.get("/incidents").await;
        assert!(!listed(&list, inc) && listed(&list, public), "{list}");
        let (_, list) = api.get("/actions").await;
        assert!(!listed(&list, inc), "{list}");
    }
    // The 404 is the one of an incident that does not exist: same code, same words.
    let missing = expect_error(&c.bob.get("/incidents/9999").await, 404, "not_found");
    let hidden = expect_error(&c.bob.get(&format!("/incidents/{inc}")).await, 404, "not_found");
    assert_eq!(hidden["message"], missing["message"].as_str().unwrap().replace("9999", &inc.to_string()));

    // Writes are refused the same way, and change nothing.
    let version = c.grace.incident(inc).await["version"].clone();
    expect_error(
        &c.bob.patch(&format!("/incidents/{inc}"), json!({"version": version, "title": "x"})).await,
        404,
        "not_found",
    );
    expect_error(&c.bob.note(inc, json!({"body": "hello"})).await, 404, "not_found");
    expect_error(&c.bob.post(&format!("/incidents/{inc}/actions"), item(c.bob_id, json!({}))).await, 404, "not_found");
    expect_error(
        &c.bob.patch(&format!("/actions/{action}"), json!({"version": 1, "title": "x"})).await,
        404,
        "not_found",
    );
    expect_error(
        &c.bob.post(&format!("/incidents/{inc}/postmortem/comments"), json!({"comment": "hi"})).await,
        404,
        "not_found",
    );
    expect_error(&add(&c.bob, inc, c.bob_id).await, 404, "not_found");
    assert_eq!(c.grace.incident(inc).await["version"], version);
    assert_eq!(c.grace.timeline(inc).await.len(), 1, "only the declaration");

    // The top bar's overdue count and the library come from the same rule.
    let (_, mine) = c.grace.get("/actions?owner=me&overdue=true").await;
    assert!(listed(&mine, inc), "{mine}");
}

#[sqlx::test(migrations = "./migrations")]
async fn participants_see_it_until_removed(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let inc = id(&declare_private(&c.grace, "Contract dispute").await);
    expect_error(&c.bob.get(&format!("/incidents/{inc}")).await, 404, "not_found");

    let (status, out) = add(&c.grace, inc, c.bob_id).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["participants"], json!([{"id": c.bob_id, "name": "Bob"}]));
    let (status, again) = add(&c.grace, inc, c.bob_id).await;
    assert_eq!(
        (status, again["participants"].as_array().unwrap().len()),
        (StatusCode::CREATED, 1),
        "adding twice is one"
    );
    assert_eq!(c.bob.incident(inc).await["title"], "Contract dispute");
    let (_, list) = c.bob.get("/incidents").await;
    assert!(listed(&list, inc));
    // A participant who is not the commander cannot change who sees it.
    expect_error(&add(&c.bob, inc, c.rita_id).await, 403, "forbidden");
    let version = c.bob.incident(inc).await["version"].clone();
    expect_error(
        &c.bob.patch(&format!("/incidents/{inc}"), json!({"version": version, "private": false})).await,
        403,
        "forbidden",
    );

    let (status, out) = remove(&c.grace, inc, &c.bob_id.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["participants"], json!([]));
    expect_error(&c.bob.get(&format!("/incidents/{inc}")).await, 404, "not_found");
    expect_error(&remove(&c.grace, inc, &c.bob_id.to_string()).await, 404, "not_found");

    let bodies: Vec<String> =
        c.grace.timeline(inc).await.iter().map(|e| e["body"].as_str().unwrap().to_string()).collect();
    assert!(bodies.iter().any(|b| b == "Grace added Bob to the incident"), "{bodies:?}");
    assert!(bodies.iter().any(|b| b == "Grace removed Bob from the incident"), "{bodies:?}");
    assert_eq!(bodies.iter().filter(|b| b.contains("added Bob")).count(), 1, "adding twice writes once");
}

#[sqlx::test(migrations = "./migrations")]
async fn participant_input_is_checked(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let inc = id(&declare_private(&c.grace, "Contract dispute").await);
    let before = c.grace.incident(inc).await;
    expect_field_error(&add(&c.grace, inc, 9999).await, "user_id");
    expect_field_error(
        &c.grace.post(&format!("/incidents/{inc}/participants"), json!({"user_id": "bob"})).await,
        "user_id",
    );
    expect_field_error(&c.grace.post(&format!("/incidents/{inc}/participants"), json!({})).await, "user_id");
    expect_field_error(&remove(&c.grace, inc, "bob").await, "user_id");
    expect_error(&add(&c.grace, 9999, c.bob_id).await, 404, "not_found");
    assert_eq!(c.grace.incident(inc).await, before, "nothing changed");
    // A reader may be added: they read, as readers do.
    let (status, out) = add(&c.grace, inc, c.rita_id).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(c.rita.incident(inc).await["id"], inc);
}

#[sqlx::test(migrations = "./migrations")]
async fn making_an_incident_private_or_public(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let inc = c.grace.declare_titled("Payroll export failed").await;
    assert_eq!((inc["private"].clone(), inc["participants"].clone()), (json!(false), json!([])));
    let i = id(&inc);
    assert_eq!(c.bob.incident(i).await["id"], i);

    let inc = c.grace.change(&inc, json!({"private": true})).await;
    assert_eq!(inc["private"], true);
    expect_error(&c.bob.get(&format!("/incidents/{i}")).await, 404, "not_found");
    let inc = c.ada.change(&inc, json!({"private": false})).await;
    assert_eq!(inc["private"], false);
    assert_eq!(c.bob.incident(i).await["id"], i);
    let changes: Vec<Value> = c.grace.timeline(i).await.into_iter().filter(|e| e["kind"] == "visibility").collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!((changes[0]["from"].clone(), changes[0]["to"].clone()), (json!("public"), json!("private")));
    assert!(changes[1]["body"].as_str().unwrap().starts_with("Ada made the incident public"));

    // Bob can see it but is not its commander.
    expect_error(
        &c.bob.patch(&format!("/incidents/{i}"), json!({"version": inc["version"], "private": true})).await,
        403,
        "forbidden",
    );
    // A closed incident stays as it is.
    let resolved = c.grace.change(&inc, json!({"status": "resolved"})).await;
    let (status, closed) =
        c.grace.post(&format!("/incidents/{i}/close"), json!({"reason": "Duplicate of INC-1"})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let res = c.grace.patch(&format!("/incidents/{i}"), json!({"version": closed["version"], "private": true})).await;
    assert!(expect_field_error(&res, "private").contains("closed"));
    assert_eq!(c.bob.incident(i).await["private"], false);
    let _ = resolved;
}

#[sqlx::test(migrations = "./migrations")]
async fn readers_hold_no_roles_and_own_no_items(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let inc = id(&c.grace.declare_titled("Queue backlog").await);
    let (status, body) = c.grace.post(&format!("/incidents/{inc}/actions"), item(c.rita_id, json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(expect_field_error(&(status, body), "owner").contains("reader"));
    let mine = create(&c.grace, inc, item(c.bob_id, json!({}))).await;
    let res = c
        .grace
        .patch(&format!("/actions/{}", id(&mine)), json!({"version": mine["version"], "owner": c.rita_id}))
        .await;
    assert!(expect_field_error(&res, "owner").contains("reader"));
}

/// Publishes with a second admin reviewing, as a real organisation would.
async fn publish(author: &Api<'_>, reviewer: &Api<'_>, inc: i64) {
    let (status, pm) = author.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    write_required(author, inc, "Rotated every key.").await;
    act(author, inc, "submit", json!({})).await;
    act(reviewer, inc, "approve", json!({})).await;
    act(reviewer, inc, "publish", json!({})).await;
}

#[sqlx::test(migrations = "./migrations")]
async fn private_write_ups_stay_out_of_the_library_feed_and_webhook(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let Account { token: root, .. } = app.admin("root@example.com", "Root").await;
    let root = Api::new(&app, &root);
    let mut messages = hear_everything(&root).await;

    let secret = id(&declare_private(&c.ada, "Leaked signing key").await);
    publish(&c.ada, &root, secret).await;
    let open = id(&c.ada.declare_titled("Checkout down").await);
    publish(&c.ada, &root, open).await;

    // The destination heard of the public one only, from its declaration to its publication.
    let heard = heard_until(&mut messages, "postmortem published").await;
    assert!(heard.contains(&format!("INC-{open} Checkout down: declared")), "{heard}");
    assert!(!heard.contains("Leaked") && !heard.contains(&format!("INC-{secret}")), "{heard}");

    for (api, email, sees) in [(&c.ada, "ada", true), (&c.bob, "bob", false), (&c.rita, "rita", false)] {
        let (_, lib) = api.get("/library").await;
        assert_eq!(listed(&lib, secret), sees, "{lib}");
        assert!(listed(&lib, open), "{lib}");
        let (_, found) = api.get("/library?q=signing").await;
        assert_eq!(listed(&found, secret), sees, "search: {found}");
        let feed = crate::common::token_for(&app.pool, &format!("{email}@example.com"), "feed").await;
        let xml =
            reqwest::get(app.url(&format!("/library/feed.xml?token={feed}"))).await.unwrap().text().await.unwrap();
        assert_eq!(xml.contains("Leaked signing key"), sees, "{xml}");
        assert!(xml.contains("Checkout down"), "{xml}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn the_digest_leaves_private_items_out(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let c = cast(&app).await;
    let mut messages = hear_everything(&c.ada).await;
    let secret = id(&declare_private(&c.grace, "Leaked signing key").await);
    let open = id(&c.grace.declare_titled("Checkout down").await);
    create(&c.grace, secret, item(c.bob_id, json!({"title": "Rotate the signing key", "due_on": "2020-01-01"}))).await;
    create(&c.grace, open, item(c.bob_id, json!({"title": "Add a checkout canary", "due_on": "2020-01-01"}))).await;
    assert!(debrief::server::actions::send_daily_digest(&pool, chrono::Utc::now()).await.unwrap());
    let text = heard_until(&mut messages, "Action items for").await;
    assert!(text.contains("Add a checkout canary"), "{text}");
    assert!(!text.contains("Rotate the signing key") && !text.contains("Leaked"), "{text}");
}

/// A Slack destination (added by `admin`) that hears every event, down to SEV4.
async fn hear_everything(admin: &Api<'_>) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
    let (hook, messages) = crate::support::webhook_receiver().await;
    let events = [
        "declared",
        "accepted",
        "severity_changed",
        "status_changed",
        "update_posted",
        "resolved",
        "published",
        "action_overdue",
    ];
    let (status, d) =
        admin.post("/destinations", json!({"kind": "slack", "name": "all", "url": hook, "events": events})).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    messages
}

/// Every message's text, one per line, until one contains `last`.
async fn heard_until(messages: &mut tokio::sync::mpsc::UnboundedReceiver<Value>, last: &str) -> String {
    let mut heard = String::new();
    while !heard.contains(last) {
        let m = tokio::time::timeout(Duration::from_secs(20), messages.recv()).await;
        let m = m.unwrap_or_else(|_| panic!("nothing with {last:?} arrived; heard:\n{heard}")).unwrap();
        heard.push_str(&m.to_string());
        heard.push('\n');
    }
    heard
}

#[sqlx::test(migrations = "./migrations")]
async fn pages_and_streams_of_a_private_incident(pool: PgPool) {
    let app = spawn(pool).await;
    let c = cast(&app).await;
    let inc = id(&declare_private(&c.grace, "Leaked credential").await);
    let bob = sign_in_as(&app, "bob@example.com").await;
    let r = format!("/incidents/INC-{inc}");
    for path in [r.clone(), format!("{r}/postmortem"), format!("{r}/postmortem.md"), format!("/live/incidents/{inc}")] {
        let (status, html) = page(&bob, &app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Leaked credential"), "{path}: {html}");
    }
    let (_, list) = page(&bob, &app, "/incidents").await;
    assert!(!list.contains("Leaked credential"));

    // Once added, Bob sees it and can follow it live; removed, his open stream ends at once.
    add(&c.grace, inc, c.bob_id).await;
    let (status, html) = page(&bob, &app, &r).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Leaked credential") && html.contains("data-testid=\"private-badge\""));
    let mut stream = bob.get(app.url(&format!("/live/incidents/{inc}"))).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    remove(&c.grace, inc, &c.bob_id.to_string()).await;
    let ended =
        tokio::time::timeout(Duration::from_secs(30), async { while let Ok(Some(_)) = stream.chunk().await {} }).await;
    assert!(ended.is_ok(), "the stream of someone removed must end");
    assert_eq!(page(&bob, &app, &r).await.0, StatusCode::NOT_FOUND);
}
