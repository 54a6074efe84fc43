//! People are found by a search or typed, never picked from a list of everyone: the incident page
//! stays the same size however large the organisation is.

use crate::common::{Account, TestApp};
use crate::pages::{page, sign_in_as};
use crate::support::{id, Api};
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn roles_are_given_through_a_search_not_a_list_of_everyone(pool: PgPool) {
    let (app, Account { token: ada, .. }) = TestApp::with_admin(pool).await;
    app.user("grace@example.com", "Grace Hopper", "member").await;
    app.user("gracie@example.com", "Gracie Reader", "reader").await;
    fillers(&app, 0, 30).await;
    let inc = id(&Api::new(&app, &ada).declare_titled("Queue backlog").await);
    let http = sign_in_as(&app, "ada@example.com").await;

    let (status, whole) = page(&http, &app, &format!("/incidents/INC-{inc}")).await;
    assert_eq!(status, 200);
    let plain = roles(&whole);
    assert!(!plain.contains("Filler") && !plain.contains("Grace Hopper"), "nobody is listed unasked: {plain}");

    let (status, found) = page(&http, &app, &format!("/incidents/INC-{inc}?pick=scribe&person=grac")).await;
    assert_eq!(status, 200);
    let found = roles(&found);
    assert!(found.contains("Make Grace Hopper scribe"), "{found}");
    assert!(!found.contains("Gracie Reader"), "readers cannot hold a role");
    assert!(!found.contains("Filler"));
    let (_, none) = page(&http, &app, &format!("/incidents/INC-{inc}?pick=scribe&person=zzz")).await;
    assert!(none.contains("data-testid=\"no-match\""), "{none}");
    let (status, _) = page(&http, &app, &format!("/incidents/INC-{inc}?pick=janitor&person=grace")).await;
    assert_eq!(status, 200, "an unknown role is no search, not an error");

    // The page's size does not depend on how many people there are.
    fillers(&app, 30, 2000).await;
    let (_, after) = page(&http, &app, &format!("/incidents/INC-{inc}")).await;
    assert_eq!(roles(&after), plain, "1,970 more people change nothing in the roles");
    assert!(!after.contains("Filler") && !after.contains("Grace Hopper"), "nobody is listed anywhere: {after}");
    // Only the running duration and the nonce may differ.
    assert!(after.len().abs_diff(whole.len()) < 40, "{} bytes, then {}", whole.len(), after.len());

    // Without JavaScript: the match's button is a form that gives the role.
    let path = format!("/incidents/INC-{inc}?pick=scribe&person=grac");
    let (_, html) = page(&http, &app, &path).await;
    let action = crate::pages::form_action(&html, "assign_role");
    let grace: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'grace@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = crate::pages::post_form(
        &http,
        &app,
        &action,
        &path,
        &app.base,
        &[("id", &inc.to_string()), ("role", "scribe"), ("user_id", &grace.to_string())],
    )
    .await;
    assert_eq!(res.status(), 302);
    let (_, html) = page(&http, &app, &format!("/incidents/INC-{inc}")).await;
    assert!(roles(&html).contains("Grace Hopper"), "Grace is the scribe now");
}

/// The roles part of the incident page.
fn roles(html: &str) -> String {
    let start = html.find("aria-label=\"Roles\"").expect("a roles section");
    let end = start + html[start..].find("</section>").unwrap();
    html[start..end].to_string()
}

/// Members `Filler <from>` … `Filler <to - 1>`, written straight to the table (hashing a password
/// each would take minutes; none of them signs in).
async fn fillers(app: &crate::common::TestApp, from: i32, to: i32) {
    sqlx::query(
        "INSERT INTO users (email, name, role, password_hash, time_zone)
         SELECT 'filler' || n || '@example.com', 'Filler ' || n, 'member', 'x', 'UTC' FROM generate_series($1, $2 - 1) n",
    )
    .bind(from)
    .bind(to)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// An action item's owner is typed (name or email) on its forms; empty means "me" on a new item and
/// "no change" on an edit.
#[sqlx::test(migrations = "./migrations")]
async fn owners_are_typed_and_resolved_with_clear_messages(pool: PgPool) {
    use crate::pages::{form_action, post_form};
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let grace = app.user("grace@example.com", "Grace Hopper", "member").await;
    app.user("gracie@example.com", "Gracie Reader", "reader").await;
    fillers(&app, 0, 30).await;
    let inc = id(&Api::new(&app, &token).declare_titled("Queue backlog").await);
    let http = sign_in_as(&app, "ada@example.com").await;
    let incident = format!("/incidents/INC-{inc}");
    let (_, html) = page(&http, &app, &incident).await;
    let create = form_action(&html, "create_action");
    let inc_s = inc.to_string();
    let add = |owner: &'static str| {
        let inc_s = inc_s.clone();
        let (http, app, create, incident) = (&http, &app, create.clone(), incident.clone());
        async move {
            let form = [
                ("incident_id", inc_s.as_str()),
                ("title", "Drain the queue"),
                ("owner", owner),
                ("due_on", "2031-01-02"),
                ("kind", "mitigate"),
                ("priority", "P2"),
            ];
            let res = post_form(http, app, &create, &incident, &app.base, &form).await;
            assert_eq!(res.status(), 302);
            let back = res.headers()["location"].to_str().unwrap().to_string();
            page(http, app, back.trim_start_matches(&app.base)).await.1
        }
    };
    let owners = || async {
        sqlx::query_scalar::<_, i64>("SELECT owner_id FROM action_items ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap()
    };

    let html = add("Filler").await;
    assert!(html.contains("Several people match: Filler"), "{html}");
    assert!(html.contains("Type their email."), "{html}");
    let html = add("gracie@example.com").await;
    assert!(html.contains("reader"), "a reader cannot own items: {html}");
    assert!(owners().await.is_empty(), "nothing was created");
    add("").await;
    add("grace hopper").await;
    add("Filler 1").await;
    let filler1: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE name = 'Filler 1'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(owners().await, [ada.id, grace.id, filler1], "empty is me; an exact name wins over partial ones");

    // Editing with the owner left empty keeps the owner.
    let item: i64 = sqlx::query_scalar("SELECT max(id) FROM action_items").fetch_one(&app.pool).await.unwrap();
    let item_page = format!("/actions/{item}");
    let (_, html) = page(&http, &app, &item_page).await;
    assert!(html.contains("leave empty to keep Filler 1"), "{html}");
    assert!(!html.contains("Filler 2<"), "the edit form lists nobody: {html}");
    let edit = form_action(&html, "edit_action");
    let version: i32 = sqlx::query_scalar("SELECT version FROM action_items WHERE id = $1")
        .bind(item)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let form = [
        ("id", item.to_string()),
        ("version", version.to_string()),
        ("title", "Drain the queue faster".into()),
        ("owner", "".into()),
        ("due_on", "2031-01-02".into()),
        ("kind", "mitigate".into()),
        ("priority", "P1".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_form(&http, &app, &edit, &item_page, &app.base, &form).await;
    assert_eq!(res.status(), 302);
    let (title, owner): (String, i64) = sqlx::query_as("SELECT title, owner_id FROM action_items WHERE id = $1")
        .bind(item)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!((title.as_str(), owner), ("Drain the queue faster", filler1));
}

/// The API takes an owner's id, or a name or email as a string, with the same messages.
#[sqlx::test(migrations = "./migrations")]
async fn the_api_takes_an_owner_by_id_or_by_name_or_email(pool: PgPool) {
    use crate::actions::{create, item};
    use crate::support::expect_field_error;
    let (app, Account { user: ada, token }) = TestApp::with_admin(pool).await;
    let grace = app.user("grace@example.com", "Grace Hopper", "member").await;
    fillers(&app, 0, 12).await;
    let api = Api::new(&app, &token);
    let inc = id(&api.declare_titled("Queue backlog").await);
    let by_id = create(&api, inc, item(ada.id, serde_json::json!({}))).await;
    assert_eq!(by_id["owner"], ada.id);
    let by_email = create(&api, inc, item(0, serde_json::json!({"owner": "GRACE@example.com"}))).await;
    assert_eq!((by_email["owner"].as_i64(), by_email["owner_name"].as_str()), (Some(grace.id), Some("Grace Hopper")));
    let path = format!("/incidents/{inc}/actions");
    let many = api.post(&path, item(0, serde_json::json!({"owner": "Filler"}))).await;
    assert!(expect_field_error(&many, "owner").starts_with("Several people match: Filler"));
    let none = api.post(&path, item(0, serde_json::json!({"owner": "zed@example.com"}))).await;
    assert!(expect_field_error(&none, "owner").contains("zed@example.com"));
}
