use crate::common::{Account, TestApp};
use crate::support::{expect_error, expect_field_error, id, read, Api};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn put_section(api: &Api<'_>, inc: i64, key: &str, body: &str, version: i64) -> (StatusCode, Value) {
    read(
        api.request(Method::PUT, &format!("/incidents/{inc}/postmortem/sections/{key}"))
            .json(&json!({"body": body, "version": version})),
    )
    .await
}

fn section<'v>(pm: &'v Value, key: &str) -> &'v Value {
    pm["sections"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_postmortem_starts_from_the_template_once(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);

    let (status, _) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not started yet");
    let (status, pm) = api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(pm["status"], "draft");
    let keys: Vec<&str> = pm["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys[..3], ["summary", "impact", "trigger"]);
    assert_eq!(keys.len(), 13);
    assert!(section(&pm, "summary")["version"] == 0 && section(&pm, "summary")["body"] == "");
    let (status, _) = api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "starting again returns the same one");
    expect_error(&api.post("/incidents/999/postmortem", json!({})).await, 404, "not_found");
}

#[sqlx::test(migrations = "./migrations")]
async fn sections_save_with_versions_and_keep_history(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: grace, .. } = app.member("grace@example.com", "Grace").await;
    let (a, g) = (Api::new(&app, &ada), Api::new(&app, &grace));
    let inc = id(&a.declare_titled("Checkout down").await);
    a.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;

    let (status, s) = put_section(&a, inc, "summary", "First draft", 0).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["version"], 1);
    assert_eq!(s["updated_by"]["name"], "Ada");

    // Grace saves on top of version 1; Ada, still on version 1, conflicts and sees Grace's text.
    let (status, _) = put_section(&g, inc, "summary", "Grace's version", 1).await;
    assert_eq!(status, StatusCode::OK);
    let res = put_section(&a, inc, "summary", "Ada's second thoughts", 1).await;
    let err = expect_error(&res, 409, "conflict");
    assert_eq!(err["current"]["body"], "Grace's version");
    assert_eq!(err["current"]["version"], 2);
    let (_, pm) = a.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(section(&pm, "summary")["body"], "Grace's version", "nothing overwritten");

    let (status, revs) = a.get(&format!("/incidents/{inc}/postmortem/sections/summary/revisions")).await;
    assert_eq!(status, StatusCode::OK);
    let revs = revs.as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!((revs[0]["version"].as_i64(), revs[0]["author"]["name"].as_str()), (Some(2), Some("Grace")));
    assert_eq!(revs[1]["body"], "First draft");

    expect_error(&put_section(&a, inc, "nope", "x", 0).await, 404, "not_found");
    let res = read(
        a.request(Method::PUT, &format!("/incidents/{inc}/postmortem/sections/summary")).json(&json!({"body": "x"})),
    )
    .await;
    assert!(expect_field_error(&res, "version").contains("version"));
}

#[sqlx::test(migrations = "./migrations")]
async fn blaming_words_are_flagged_but_never_block(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin_named(pool, "Ada Lovelace").await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Checkout down").await);
    api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    let (status, _) =
        put_section(&api, inc, "trigger", "It was human error: the engineer should have checked.", 0).await;
    assert_eq!(status, StatusCode::OK, "saving is never blocked");
    let (_, pm) = api.get(&format!("/incidents/{inc}/postmortem")).await;
    let flags = pm["blameless_flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f["section"] == "trigger" && f["rule"] == "human_error"), "{flags:?}");
    assert!(flags.iter().any(|f| f["rule"] == "should_have"), "{flags:?}");
    assert!(flags.iter().all(|f| !f["suggestion"].as_str().unwrap().is_empty()));
}

#[sqlx::test(migrations = "./migrations")]
async fn markdown_export_is_complete_and_stable(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare(json!({"title": "Checkout down", "severity": "SEV1", "services": ["checkout"]})).await);
    api.note(inc, json!({"body": "Deploy 42 rolled out", "key": "trigger"})).await;
    api.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    put_section(&api, inc, "summary", "Checkout failed for **20 minutes**.", 0).await;

    let get_md = || async {
        let res = api.request(Method::GET, &format!("/incidents/{inc}/postmortem.md")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
        res.text().await.unwrap()
    };
    let (first, second) = (get_md().await, get_md().await);
    assert_eq!(first, second, "exporting twice gives identical bytes");
    assert!(first.starts_with("---\n"), "{first}");
    assert!(first.contains(&format!("INC-{inc}")) && first.contains("SEV1"));
    assert!(first.contains("## Summary\n") && first.contains("Checkout failed for **20 minutes**."));
    assert!(first.contains("Deploy 42 rolled out"), "key events in the timeline table:\n{first}");
    let summary_at = first.find("## Summary").unwrap();
    let impact_at = first.find("## Impact").unwrap();
    assert!(summary_at < impact_at, "template order");
}

#[sqlx::test(migrations = "./migrations")]
async fn only_admins_change_the_template_and_started_postmortems_keep_theirs(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: grace, .. } = app.member("grace@example.com", "Grace").await;
    let (a, g) = (Api::new(&app, &ada), Api::new(&app, &grace));
    let inc = id(&a.declare_titled("Checkout down").await);
    a.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;

    let new = json!([{"key": "what", "title": "What happened", "guidance": "Plainly.", "required": true}]);
    let res = read(g.request(Method::PUT, "/postmortem-template").json(&new)).await;
    expect_error(&res, 403, "forbidden");
    let (status, t) = read(a.request(Method::PUT, "/postmortem-template").json(&new)).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t.as_array().unwrap().len(), 1);

    let (_, pm) = a.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(pm["sections"].as_array().unwrap().len(), 13, "the started postmortem keeps its sections");
    let other = id(&a.declare_titled("Search slow").await);
    let (_, pm) = a.post(&format!("/incidents/{other}/postmortem"), json!({})).await;
    assert_eq!(pm["sections"][0]["key"], "what");

    let bad = json!([{"key": "Bad Key", "title": "", "guidance": "", "required": false}, {"key": "what", "title": "x", "guidance": "", "required": false}, {"key": "what", "title": "y", "guidance": "", "required": false}]);
    let res = read(a.request(Method::PUT, "/postmortem-template").json(&bad)).await;
    let err = expect_error(&res, 422, "invalid");
    assert!(err["fields"]["sections[0].key"].is_string() && err["fields"]["sections[2].key"].is_string(), "{err}");
}
