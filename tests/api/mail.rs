//! Mail against a real SMTP server (aiosmtpd): an email destination for a mailing list, and each
//! owner's reminder in their own morning with a link to each item and a one-click unsubscribe.

use crate::actions::{create, in_days, item};
use crate::common::smtp::SmtpServer;
use crate::common::{spawn_with, Account, Options, TestApp};
use crate::support::{expect_error, expect_field_error, id, Api};
use chrono::{TimeZone, Utc};
use debrief::server::actions::queue_reminders;
use mailparse::MailHeaderMap;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

async fn with_mail(pool: PgPool) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let app = spawn_with(pool, Options { smtp: Some(smtp.config()), ..Options::default() }).await;
    (app, smtp)
}

/// A received message: its headers, and its plain and HTML parts decoded.
struct Received {
    to: String,
    subject: String,
    unsubscribe: Option<String>,
    one_click: Option<String>,
    text: String,
    html: String,
}

fn parse(raw: &[u8]) -> Received {
    let m = mailparse::parse_mail(raw).expect("a message");
    let part = |ty: &str| {
        m.subparts.iter().find(|p| p.ctype.mimetype == ty).map(|p| p.get_body().unwrap()).unwrap_or_default()
    };
    Received {
        to: m.headers.get_first_value("To").unwrap_or_default(),
        subject: m.headers.get_first_value("Subject").unwrap_or_default(),
        unsubscribe: m.headers.get_first_value("List-Unsubscribe"),
        one_click: m.headers.get_first_value("List-Unsubscribe-Post"),
        text: part("text/plain"),
        html: part("text/html"),
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn an_email_destination_sends_to_the_list_with_user_text_escaped(pool: PgPool) {
    // Without mail set up, an email destination is refused with the reason.
    let (plain, admin) = TestApp::with_admin(pool.clone()).await;
    let body =
        json!({"kind": "email", "name": "Postmortems list", "url": "postmortems@example.com", "events": ["declared"]});
    let message = expect_field_error(&Api::new(&plain, &admin.token).post("/destinations", body.clone()).await, "url");
    assert!(message.contains("DEBRIEF_SMTP_HOST"), "{message}");

    let (app, smtp) = with_mail(pool).await;
    let api = Api::new(&app, &admin.token);
    expect_field_error(
        &api.post(
            "/destinations",
            json!({"kind": "email", "name": "x", "url": "not an address", "events": ["declared"]}),
        )
        .await,
        "url",
    );
    let (status, made) = api.post("/destinations", body).await;
    assert_eq!((status, made["host"].as_str()), (StatusCode::CREATED, Some("postmortems@example.com")), "{made}");
    let inc = api
        .declare(json!({"title": "<b>Checkout</b> down", "severity": "SEV1", "summary": "Cards & wallets <fail>"}))
        .await;

    let got = parse(&smtp.wait_for(1).await[0]);
    assert_eq!(got.to, "postmortems@example.com");
    assert_eq!(got.subject, format!("{} <b>Checkout</b> down: declared as SEV1", inc["ref"].as_str().unwrap()));
    assert!(got.text.contains("Cards & wallets <fail>"), "the plain part is as written: {}", got.text);
    assert!(
        got.html.contains("&lt;b&gt;Checkout&lt;/b&gt; down") && got.html.contains("Cards &amp; wallets &lt;fail&gt;"),
        "{}",
        got.html
    );
    assert!(!got.html.contains("<b>Checkout"), "{}", got.html);
    assert!(
        got.html.contains(&format!("href=\"http://127.0.0.1:3000/incidents/{}\"", inc["ref"].as_str().unwrap())),
        "{}",
        got.html
    );
    assert_eq!(got.unsubscribe, None, "a list mail is not personal");
}

#[sqlx::test(migrations = "./migrations")]
async fn owners_get_one_reminder_in_their_morning_and_can_stop_it(pool: PgPool) {
    let (app, smtp) = with_mail(pool).await;
    let Account { token, .. } = app.admin("ada@example.com", "Ada").await;
    let api = Api::new(&app, &token);
    let grace = app.user("grace@example.com", "Grace", "member").await; // Europe/Paris
    let kai = debrief::server::accounts::create_user(
        &app.pool,
        debrief::server::accounts::NewUser {
            email: "kai@example.com",
            name: "Kai",
            role: "member",
            password: crate::common::PASSWORD,
            time_zone: Some("Pacific/Honolulu"),
            team: None,
        },
    )
    .await
    .unwrap();
    let inc = id(&api.declare_titled("Checkout down").await);
    let graces =
        create(&api, inc, item(grace.id, json!({"title": "Alert on <5xx> & timeouts", "due_on": in_days(-3)}))).await;
    create(&api, inc, item(kai.id, json!({"title": "Add a canary", "due_on": in_days(-2)}))).await;

    // 11:00 UTC: 12:00 in Paris, 01:00 in Honolulu.
    let today = Utc::now().date_naive();
    let at = |h: u32| Utc.from_utc_datetime(&today.and_hms_opt(h, 0, 0).unwrap());
    assert_eq!(queue_reminders(&app.pool, &app.outbound, at(11)).await.unwrap(), 1, "Grace only");
    assert_eq!(queue_reminders(&app.pool, &app.outbound, at(11)).await.unwrap(), 0, "once a day");
    let got = parse(&smtp.wait_for(1).await[0]);
    assert_eq!(got.to, "grace@example.com");
    assert!(got.subject.starts_with(&format!("Your action items for {today}: 1 overdue")), "{}", got.subject);
    let link = format!("http://127.0.0.1:3000/actions/{}", graces["id"]);
    assert!(got.text.contains("Alert on <5xx> & timeouts") && got.text.contains(&link), "{}", got.text);
    assert!(
        got.html.contains("Alert on &lt;5xx&gt; &amp; timeouts") && got.html.contains(&format!("href=\"{link}\"")),
        "{}",
        got.html
    );
    assert_eq!(got.one_click.as_deref(), Some("List-Unsubscribe=One-Click"));

    // 19:00 UTC is 09:00 in Honolulu: Kai's turn.
    assert_eq!(queue_reminders(&app.pool, &app.outbound, at(19)).await.unwrap(), 1);
    // The maildir's file names do not sort by arrival: look for Kai's among both.
    let to: Vec<String> = smtp.wait_for(2).await.iter().map(|m| parse(m).to).collect();
    assert!(to.contains(&"kai@example.com".to_string()), "{to:?}");

    // The unsubscribe link: a GET only shows a button; the one-click POST turns mail off.
    let url = got.unsubscribe.unwrap().trim_matches(['<', '>']).replace("http://127.0.0.1:3000", &app.base);
    let http = reqwest::Client::new();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Stop these mails"));
    let bad = crate::support::read(http.post(url.replace("&t=", "&t=0"))).await;
    expect_error(&bad, 404, "not_found");
    let res = http.post(&url).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let tomorrow = at(19) + chrono::Duration::days(1);
    assert_eq!(queue_reminders(&app.pool, &app.outbound, tomorrow).await.unwrap(), 1, "Kai still gets his");
    // Grace turns it back on from her profile.
    debrief::server::accounts::save_profile(&app.pool, &grace, "Europe/Paris", "", true).await.unwrap();
    let later = tomorrow + chrono::Duration::days(1);
    assert_eq!(queue_reminders(&app.pool, &app.outbound, later).await.unwrap(), 2);
}
