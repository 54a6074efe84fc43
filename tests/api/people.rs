//! Roles are given through a search, not a list of everyone: the roles part of the incident page
//! stays the same size however large the organisation is.

use crate::common::spawn;
use crate::pages::{page, sign_in_as};
use crate::support::{id, Api};
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn roles_are_given_through_a_search_not_a_list_of_everyone(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, ada) = app.token("ada@example.com", "Ada", "admin").await;
    app.user("grace@example.com", "Grace Hopper", "member").await;
    app.user("gracie@example.com", "Gracie Reader", "reader").await;
    fillers(&app, 0, 30).await;
    let inc = id(&Api::new(&app, &ada).declare_titled("Queue backlog").await);
    let http = sign_in_as(&app, "ada@example.com").await;

    let (status, plain) = page(&http, &app, &format!("/incidents/INC-{inc}")).await;
    assert_eq!(status, 200);
    let plain = roles(&plain);
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
