//! Sign-in over HTTP as the login form posts it: where it sends the browser afterwards.

use crate::common::{spawn, PASSWORD};
use crate::pages::{browser_like, form_action, page, post_form};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn next_that_a_browser_would_read_as_another_site_goes_to_the_incident_list(pool: PgPool) {
    let app = spawn(pool).await;
    app.user("ada@example.com", "Ada", "admin").await;
    // What the login page's hidden field holds for `?next=/%09/evil.example` and friends (the query is
    // decoded once), and the still-encoded forms.
    for next in ["/\t/evil.example", "/\n", "/\r/evil.example", "/\\evil.example", "/%09/evil.example", "/%0A", "/%5Cevil"]
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
    let form =
        [("email", "ada@example.com"), ("password", PASSWORD), ("next", "/incidents?status=resolved"), ("time_zone", "")];
    let res = post_form(&http, &app, &action, "/login", &app.base, &form).await;
    assert_eq!(res.headers()[LOCATION], "/incidents?status=resolved");
}
