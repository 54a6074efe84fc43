//! Lists come a page at a time with a cursor, and their totals and figures are the whole list's.

use crate::actions::{create, item};
use crate::common::{spawn, Account, TestApp};
use crate::support::{expect_field_error, id, Api};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Follows `Link: rel="next"` from `path` to the end; returns every item's id and the total.
async fn walk(api: &Api<'_>, path: &str) -> (Vec<i64>, i64) {
    let (items, total) = walk_items(api, path).await;
    (items.iter().map(|i| i["id"].as_i64().or(i["incident_id"].as_i64()).unwrap()).collect(), total)
}

/// Every item of every page from `path` on, and the total.
async fn walk_items(api: &Api<'_>, path: &str) -> (Vec<Value>, i64) {
    let (mut seen, mut next, mut total) = (Vec::new(), Some(format!("/api/v1{path}")), None);
    while let Some(url) = next.take() {
        let res = api.http.request(Method::GET, api.app.url(&url)).bearer_auth(&api.token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        let count: i64 = res.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
        assert!(total.is_none_or(|t| t == count), "the total is the same on every page");
        total = Some(count);
        next = res.headers().get("link").map(|l| {
            let l = l.to_str().unwrap();
            assert!(l.ends_with("; rel=\"next\""), "{l}");
            l[1..l.find('>').unwrap()].to_string()
        });
        let items: Vec<Value> = res.json().await.unwrap();
        assert!(!items.is_empty() || seen.is_empty(), "no empty page after the first");
        seen.extend(items);
    }
    (seen, total.unwrap())
}

#[sqlx::test(migrations = "./migrations")]
async fn incidents_page_with_a_cursor_and_a_total(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let Account { token: bob, .. } = app.member("bob@example.com", "Bob").await;
    let (a, b) = (Api::new(&app, &ada), Api::new(&app, &bob));
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(id(&a
            .declare(json!({"title": format!("Incident {n}"), "severity": "SEV3", "private": n == 3}))
            .await));
    }
    let resolved = a.incident(ids[0]).await;
    a.change(&resolved, json!({"status": "resolved"})).await;

    let (seen, total) = walk(&a, "/incidents?limit=3").await;
    assert_eq!(total, 7);
    let (all, _) = walk(&a, "/incidents?limit=200").await;
    assert_eq!(seen, all, "paging gives the same order as one big page, without gaps or repeats");
    assert_eq!(*all.last().unwrap(), ids[0], "finished incidents come last");
    let (seen, total) = walk(&b, "/incidents?limit=2").await;
    assert_eq!((seen.len(), total), (6, 6), "the private one is neither listed nor counted");
    let (seen, total) = walk(&a, "/incidents?status=resolved&limit=1").await;
    assert_eq!((seen, total), (vec![ids[0]], 1));

    expect_field_error(&a.get("/incidents?limit=0").await, "limit");
    expect_field_error(&a.get("/incidents?limit=201").await, "limit");
    expect_field_error(&a.get("/incidents?cursor=garbage").await, "cursor");
    expect_field_error(&a.get("/incidents?cursor=1_x_3").await, "cursor");
}

#[sqlx::test(migrations = "./migrations")]
async fn action_items_page_and_their_figures_are_the_whole_lists(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let Account { user: ada, token } = app.admin("ada@example.com", "Ada").await;
    let a = Api::new(&app, &token);
    let inc = id(&a.declare_titled("Queue backlog").await);
    let mut items = Vec::new();
    for n in 0..5 {
        let due = if n < 2 { "2020-01-0".to_string() + &(n + 1).to_string() } else { crate::actions::in_days(n) };
        items.push(create(&a, inc, item(ada.id, json!({"title": format!("Item {n}"), "due_on": due}))).await);
    }
    let done = crate::actions::change(&a, &items[4], json!({"status": "done"})).await;
    assert_eq!(done["status"], "done");

    let (seen, total) = walk(&a, "/actions?limit=2").await;
    assert_eq!(total, 5);
    assert_eq!(seen, items.iter().map(id).collect::<Vec<_>>(), "by due date, across pages");
    let (seen, total) = walk(&a, "/actions?overdue=true&limit=1").await;
    assert_eq!((seen.len(), total), (2, 2));
    let (mine, _) = walk(&a, "/actions?owner=me&limit=2").await;
    assert_eq!(&mine[..2], &[id(&items[0]), id(&items[1])], "one's own list: overdue first");
    expect_field_error(&a.get("/actions?cursor=nope").await, "cursor");

    // The figures on a one-item page are the whole list's.
    let params = debrief::server::actions::ListParams { limit: Some("1".into()), ..Default::default() };
    let list = debrief::server::actions::list_page(&pool, &ada, &params, false).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert!(list.next.is_some());
    let c = &list.counts;
    assert_eq!((c.total, c.open, c.done, c.overdue), (5, 4, 1, 2));
    assert_eq!(c.completion_rate, Some(0.2));
    assert_eq!(list.by_incident.len(), 1);
    assert_eq!(list.by_incident[0].counts.total, 5);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_library_pages_too(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let a = Api::new(&app, &ada);
    let mut published = Vec::new();
    for n in 0..3 {
        let inc = id(&a.declare_titled(&format!("Outage {n}")).await);
        a.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
        crate::reviews::write_required(&a, inc, "What happened.").await;
        crate::reviews::act(&a, inc, "submit", json!({})).await;
        crate::reviews::act(&a, inc, "publish", json!({"override_reason": "Test: one-person team"})).await;
        published.push(inc);
    }
    let (seen, total) = walk(&a, "/library?limit=2").await;
    assert_eq!(total, 3);
    published.reverse();
    assert_eq!(seen, published, "newest first, across pages");
    expect_field_error(&a.get("/library?cursor=1").await, "cursor");
}

#[sqlx::test(migrations = "./migrations")]
async fn revisions_and_comments_page_too(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let a = Api::new(&app, &ada);
    let inc = id(&a.declare_titled("Queue backlog").await);
    a.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
    for v in 0..5 {
        let path = format!("/incidents/{inc}/postmortem/sections/summary");
        let res = crate::support::read(
            a.request(Method::PUT, &path).json(&json!({"body": format!("Draft {v}"), "version": v})),
        )
        .await;
        assert_eq!(res.0, 200, "{}", res.1);
    }
    let (all, total) = walk_items(&a, &format!("/incidents/{inc}/postmortem/sections/summary/revisions?limit=2")).await;
    let versions: Vec<i64> = all.iter().map(|r| r["version"].as_i64().unwrap()).collect();
    assert_eq!((versions, total), (vec![5, 4, 3, 2, 1], 5), "newest first, across pages");
    expect_field_error(
        &a.get(&format!("/incidents/{inc}/postmortem/sections/summary/revisions?cursor=x")).await,
        "cursor",
    );

    // The history page diffs any two versions, also ones older than its first page.
    let http = crate::pages::sign_in_as(&app, "ada@example.com").await;
    let path = format!("/incidents/INC-{inc}/postmortem/summary/history?from=1&to=5");
    let (status, html) = crate::pages::page(&http, &app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("Draft 0") && html.contains("Draft 4") && html.contains("data-testid=\"diff\""), "{html}");
    assert!(html.contains("Showing 5 of 5"), "{html}");

    for n in 0..4 {
        let (status, _) =
            a.post(&format!("/incidents/{inc}/postmortem/comments"), json!({"comment": format!("Note {n}")})).await;
        assert_eq!(status, 201);
    }
    let (ids, total) = walk(&a, &format!("/incidents/{inc}/postmortem/comments?limit=3")).await;
    assert_eq!((ids.len(), total), (4, 4));
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first, across pages: {ids:?}");
    let (_, pm) = a.get(&format!("/incidents/{inc}/postmortem")).await;
    assert_eq!(pm["comments_total"], 4);
    assert_eq!(pm["comments"].as_array().unwrap().len(), 4);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_timeline_pages_oldest_first(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    let a = Api::new(&app, &ada);
    let inc = id(&a.declare_titled("Queue backlog").await);
    for n in 0..6 {
        let (status, _) = a.note(inc, json!({"body": format!("Note {n}")})).await;
        assert_eq!(status, 201);
    }
    let (events, total) = walk_items(&a, &format!("/incidents/{inc}/timeline?limit=3")).await;
    assert_eq!((events.len(), total), (7, 7), "the declaration and six notes");
    assert_eq!(events[0]["kind"], "declared");
    assert_eq!(events[6]["body"], "Note 5");
    crate::support::assert_chronological(&events);
    let (status, first) = a.get(&format!("/incidents/{inc}/timeline")).await;
    assert_eq!((status.as_u16(), first.as_array().unwrap().len()), (200, 7), "the default page holds 50");
    expect_field_error(&a.get(&format!("/incidents/{inc}/timeline?limit=1000")).await, "limit");
    expect_field_error(&a.get(&format!("/incidents/{inc}/timeline?cursor=nope")).await, "cursor");
}
