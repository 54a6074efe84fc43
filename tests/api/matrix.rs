//! The authorization matrix: every route the router serves (probes, pages, server functions, the
//! JSON API, downloads, the feed and live streams), for each kind of person, against a public and a
//! private incident. The routes come from `startup::route_list`, which the router is built from, so
//! a route added without a row here fails this test.
//!
//! A request's outcome is one of four: let past the access check (`Allowed`: any answer but the
//! three others, including a 409 or 422 from the probe's deliberately stale or incomplete input),
//! asked to sign in, refused (403), or told the incident or item does not exist (`Hidden`).

use crate::common::{spawn, Account, TestApp};
use crate::pages::{browser_like, sign_in_as};
use crate::support::{id, Api};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    SignedOut,
    Reader,
    Member,
    Participant,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Inc {
    Public,
    Private,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Allowed,
    SignIn,
    Forbidden,
    Hidden,
}

/// Who may do what; each row names one.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not.
    Open,
    /// Nobody: the first-admin form once Debrief is set up.
    Refused,
    SignedIn,
    /// Anyone who may write (not readers).
    Writer,
    Admin,
    /// See the incident (or what belongs to it).
    Read,
    /// See the incident and write.
    Write,
    /// Its commander and admins: who may see it.
    Manage,
    /// Its assigned reviewers and admins.
    Review,
}

impl Rule {
    fn per_incident(self) -> bool {
        matches!(self, Rule::Read | Rule::Write | Rule::Manage | Rule::Review)
    }

    /// `None`: any answer will do (but a 500).
    fn expect(self, who: Who, inc: Inc) -> Option<Outcome> {
        (!matches!(self, Rule::Open)).then(|| self.outcome(who, inc))
    }

    fn outcome(self, who: Who, inc: Inc) -> Outcome {
        use Outcome::*;
        let sees = inc == Inc::Public || matches!(who, Who::Participant | Who::Admin);
        let or_hidden = |o: Outcome| if sees { o } else { Hidden };
        match (self, who) {
            (Rule::Open, _) => Allowed,
            (Rule::Refused, _) => Forbidden,
            (_, Who::SignedOut) => SignIn,
            (Rule::SignedIn, _) => Allowed,
            (Rule::Writer, Who::Reader) => Forbidden,
            (Rule::Writer, _) => Allowed,
            (Rule::Admin, Who::Admin) => Allowed,
            (Rule::Admin, _) => Forbidden,
            (Rule::Read, _) => or_hidden(Allowed),
            (Rule::Write, Who::Reader) => Forbidden,
            (Rule::Write, _) => or_hidden(Allowed),
            (Rule::Manage, Who::Admin) => Allowed,
            (Rule::Manage, Who::Reader) => Forbidden,
            (Rule::Manage, _) => or_hidden(Forbidden),
            (Rule::Review, Who::Admin) => Allowed,
            (Rule::Review, _) => or_hidden(Forbidden),
        }
    }
}

/// What the fixture made for one incident.
#[derive(Clone)]
struct Target {
    id: i64,
    action: i64,
    event: i64,
}

struct Fixture {
    public: Target,
    private: Target,
    dana: i64,
}

impl Fixture {
    fn target(&self, inc: Inc) -> &Target {
        match inc {
            Inc::Public => &self.public,
            Inc::Private => &self.private,
        }
    }
}

/// The request a row makes: the path with its parameters filled in, and a body.
enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

type Probe = fn(&Fixture, &Target, Inc) -> Body;

struct Row {
    method: &'static str,
    /// As the router spells it; server functions by name (`/api/<name>`).
    path: &'static str,
    rule: Rule,
    probe: Probe,
}

fn none(_: &Fixture, _: &Target, _: Inc) -> Body {
    Body::None
}

fn form(pairs: &[(&'static str, String)]) -> Body {
    Body::Form(pairs.to_vec())
}

macro_rules! rows {
    ($($method:literal $path:literal $rule:ident $probe:expr;)+) => {
        vec![$(Row { method: $method, path: $path, rule: Rule::$rule, probe: $probe }),+]
    };
}

fn due() -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(14)).format("%Y-%m-%d").to_string()
}

fn table() -> Vec<Row> {
    rows! {
        "GET" "/healthz" Open none;
        "GET" "/readyz" Open none;

        // Pages.
        "GET" "/" Open none;
        "GET" "/setup" Open none;
        "GET" "/login" Open none;
        "GET" "/incidents" SignedIn none;
        "GET" "/incidents/new" SignedIn none;
        "GET" "/incidents/{reference}" Read none;
        "GET" "/incidents/{reference}/postmortem" Read none;
        "GET" "/incidents/{reference}/postmortem/{key}/history" Read none;
        "GET" "/actions" SignedIn none;
        "GET" "/actions/mine" SignedIn none;
        "GET" "/actions/{id}" Read none;
        "GET" "/settings/template" Admin none;
        "GET" "/settings/integrations" Admin none;
        "GET" "/settings/notifications" Admin none;
        "GET" "/settings/status" Admin none;
        "GET" "/status" SignedIn none;
        "GET" "/api-docs" Open none;
        "GET" "/library" SignedIn none;
        "GET" "/library/{reference}" Read none;
        "GET" "/users" Admin none;
        "GET" "/profile" SignedIn none;
        "GET" "/audit" Admin none;
        "GET" "/insights" SignedIn none;
        "GET" "/reset/{secret}" Open none;

        // Downloads, the feed and live streams.
        "GET" "/live/incidents/{id}" Read none;
        "GET" "/incidents/{reference}/postmortem.md" Read none;
        "GET" "/library/feed.xml" SignedIn none;
        "GET" "/status/feed.xml" SignedIn none;
        // The link's secret is the key: a made-up one is a 404 for everyone alike.
        "GET" "/email/unsubscribe" Open none;
        "POST" "/email/unsubscribe" Open none;
        "GET" "/audit.csv" Admin none;
        "GET" "/insights.csv" SignedIn none;
        "GET" "/insights.json" SignedIn none;
        "GET" "/sso/start" Open none;
        "GET" "/sso/callback" Open none;
        "GET" "/metrics" Admin none;

        // The JSON API.
        "GET" "/api/v1/openapi.json" Open none;
        "GET" "/api/v1/me" SignedIn none;
        "GET" "/api/v1/incidents" SignedIn none;
        "POST" "/api/v1/incidents" Writer |_, _, _| Body::Json(json!({}));
        "GET" "/api/v1/incidents/{id}" Read none;
        "PATCH" "/api/v1/incidents/{id}" Write |_, _, _| Body::Json(json!({"version": 0, "title": "Renamed"}));
        "GET" "/api/v1/incidents/{id}/timeline" Read none;
        "POST" "/api/v1/incidents/{id}/timeline" Write |_, _, _| Body::Json(json!({"body": "Probe note"}));
        "POST" "/api/v1/incidents/{id}/participants" Manage |_, _, _| Body::Json(json!({"user_id": 999999}));
        "DELETE" "/api/v1/incidents/{id}/participants/{user_id}" Manage none;
        "GET" "/api/v1/incidents/{id}/updates" Read none;
        "POST" "/api/v1/incidents/{id}/updates" Write |_, _, _| Body::Json(json!({"message": "Probe update"}));
        "GET" "/api/v1/incidents/{id}/milestones" Read none;
        "PUT" "/api/v1/incidents/{id}/milestones/{moment}" Write |_, _, _| Body::Json(json!({"at": "", "reason": ""}));
        "POST" "/api/v1/incidents/{id}/actions" Write |f, _, _| Body::Json(json!({
            "title": "Probe item", "owner": f.dana, "due_on": due(), "type": "prevent", "priority": "P3"
        }));
        "GET" "/api/v1/actions" SignedIn none;
        "GET" "/api/v1/actions/{id}" Read none;
        "PATCH" "/api/v1/actions/{id}" Write |_, _, _| Body::Json(json!({"version": 0, "title": "Renamed"}));
        "POST" "/api/v1/actions/{id}/check" Write |_, _, _| Body::Json(json!({"outcome": "worked"}));
        "POST" "/api/v1/actions/{id}/follow-up" Write none;
        "GET" "/api/v1/incidents/{id}/postmortem" Read none;
        "POST" "/api/v1/incidents/{id}/postmortem" Write none;
        "GET" "/api/v1/incidents/{id}/postmortem.md" Read none;
        "PUT" "/api/v1/incidents/{id}/postmortem/sections/{key}" Write
            |_, _, _| Body::Json(json!({"body": "Stale", "version": 0}));
        "GET" "/api/v1/incidents/{id}/postmortem/sections/{key}/revisions" Read none;
        "GET" "/api/v1/postmortem-template" Admin none;
        "PUT" "/api/v1/postmortem-template" Admin |_, _, _| Body::Json(json!([]));
        "POST" "/api/v1/incidents/{id}/postmortem/submit" Write |_, _, _| Body::Json(json!({"reviewers": [999999]}));
        "POST" "/api/v1/incidents/{id}/postmortem/approve" Review none;
        "POST" "/api/v1/incidents/{id}/postmortem/request-changes" Review
            |_, _, _| Body::Json(json!({"comment": "Probe"}));
        "GET" "/api/v1/incidents/{id}/postmortem/comments" Read none;
        "POST" "/api/v1/incidents/{id}/postmortem/comments" Write |_, _, _| Body::Json(json!({"comment": "Probe"}));
        "POST" "/api/v1/incidents/{id}/postmortem/publish" Review none;
        "PUT" "/api/v1/incidents/{id}/postmortem/timeline/{event_id}" Write
            |_, _, _| Body::Json(json!({"include": true}));
        "POST" "/api/v1/incidents/{id}/postmortem/factors" Write
            |_, _, _| Body::Json(json!({"factor": "Probe factor", "category": "process"}));
        "DELETE" "/api/v1/incidents/{id}/postmortem/factors/{factor_id}" Write none;
        "POST" "/api/v1/incidents/{id}/close" Write |_, _, _| Body::Json(json!({"reason": "Probe"}));
        "GET" "/api/v1/library" SignedIn none;
        "GET" "/api/v1/settings" Admin none;
        "PUT" "/api/v1/settings" Admin |_, _, _| Body::Json(json!({"public_url": ""}));
        "GET" "/api/v1/tokens" SignedIn none;
        "POST" "/api/v1/tokens" SignedIn |_, _, _| Body::Json(json!({"name": "", "scope": "read"}));
        // Someone else's token is a 404 like a missing one: any answer but a 500.
        "DELETE" "/api/v1/tokens/{id}" Open none;
        "GET" "/api/v1/users" Admin none;
        "PATCH" "/api/v1/users/{id}" Admin |_, _, _| Body::Json(json!({"role": "emperor"}));
        "GET" "/api/v1/audit" Admin none;
        "GET" "/api/v1/insights" SignedIn none;
        "POST" "/api/v1/incidents/{id}/accept" Write none;
        "POST" "/api/v1/incidents/{id}/decline" Write |_, _, _| Body::Json(json!({"reason": "Probe"}));
        "GET" "/api/v1/integrations" Admin none;
        "POST" "/api/v1/integrations" Admin |_, _, _| Body::Json(json!({"kind": "pager", "name": ""}));
        "GET" "/api/v1/integrations/rules" Admin none;
        "PUT" "/api/v1/integrations/rules" Admin |_, _, _| Body::Json(json!({"default_severity": "SEV9"}));
        // Integration tokens only: a person's token is refused, any answer but a 500.
        "POST" "/api/v1/integrations/alertmanager" Open |_, _, _| Body::Json(json!({}));
        "POST" "/api/v1/integrations/generic" Open |_, _, _| Body::Json(json!({}));
        "DELETE" "/api/v1/integrations/{id}" Admin none;
        "GET" "/api/v1/destinations" Admin none;
        "POST" "/api/v1/destinations" Admin |_, _, _| Body::Json(json!({"kind": "pager"}));
        "DELETE" "/api/v1/destinations/{id}" Admin none;
        "PATCH" "/api/v1/destinations/{id}" Admin |_, _, _| Body::Json(json!({"events": []}));
        "GET" "/api/v1/destinations/{id}/deliveries" Admin none;
        "POST" "/api/v1/destinations/{id}/test" Admin none;
        "GET" "/api/v1/status" SignedIn none;
        "GET" "/api/v1/services" SignedIn none;
        "POST" "/api/v1/services" Admin |_, _, _| Body::Json(json!({"name": ""}));
        "DELETE" "/api/v1/services/{id}" Admin none;

        // Server functions, as pages call them.
        "POST" "/api/current_user" Open none;
        "POST" "/api/top_bar" Open none;
        "POST" "/api/needs_setup" Open none;
        "POST" "/api/create_first_admin" Refused
            |_, _, _| form(&[("email", "x@example.com".into()), ("name", "X".into()), ("password", "long enough password".into())]);
        "POST" "/api/sign_in" Open
            |_, _, _| form(&[("email", "probe@example.com".into()), ("password", "wrong password".into())]);
        "POST" "/api/sign_out" Open none;
        "POST" "/api/list_users" Admin none;
        "POST" "/api/add_user" Admin
            |_, _, _| form(&[("email", "not an email".into()), ("name", "X".into()), ("role", "member".into()), ("password", "x".into())]);
        "POST" "/api/set_user_team" Admin |_, _, _| form(&[("user_id", "999999".into()), ("team", "SRE".into())]);
        "POST" "/api/save_profile" SignedIn |_, _, _| form(&[("time_zone", "Nowhere/Zone".into())]);
        "POST" "/api/list_incidents" SignedIn none;
        "POST" "/api/get_incident_page" Read |_, t, _| form(&[("reference", format!("INC-{}", t.id))]);
        "POST" "/api/declare_incident" Writer |_, _, _| form(&[("title", String::new())]);
        "POST" "/api/change_incident" Write
            |_, t, _| form(&[("id", t.id.to_string()), ("version", "0".into()), ("status", "identified".into())]);
        "POST" "/api/assign_role" Write
            |_, t, _| form(&[("id", t.id.to_string()), ("role", "scribe".into()), ("user_id", "999999".into())]);
        "POST" "/api/post_stakeholder_update" Write |_, t, _| form(&[("id", t.id.to_string()), ("message", "Probe update".into())]);
        "POST" "/api/add_note" Write |_, t, _| form(&[("id", t.id.to_string()), ("body", "Probe note".into())]);
        "POST" "/api/set_incident_private" Manage
            |_, t, inc| form(&[("id", t.id.to_string()), ("version", "0".into()), ("private", (inc == Inc::Public).to_string())]);
        "POST" "/api/correct_milestone" Write |_, t, _| form(&[("id", t.id.to_string()), ("moment", "detected".into()), ("at", String::new()), ("reason", String::new())]);
        "POST" "/api/add_participant" Manage |_, t, _| form(&[("id", t.id.to_string()), ("person", "No Such Person".into())]);
        "POST" "/api/remove_participant" Manage |_, t, _| form(&[("id", t.id.to_string()), ("user_id", "999999".into())]);
        "POST" "/api/list_actions" SignedIn none;
        "POST" "/api/my_actions" SignedIn none;
        "POST" "/api/incident_actions" Read |_, t, _| form(&[("id", t.id.to_string())]);
        "POST" "/api/get_action_page" Read |_, t, _| form(&[("id", t.action.to_string())]);
        "POST" "/api/create_action" Write |_, t, _| form(&[
            ("incident_id", t.id.to_string()), ("title", "Probe item".into()), ("owner", "dana@example.com".into()),
            ("due_on", due()), ("kind", "prevent".into()), ("priority", "P3".into()),
        ]);
        "POST" "/api/edit_action" Write |_, t, _| form(&[
            ("id", t.action.to_string()), ("version", "0".into()), ("title", "Renamed".into()),
            ("owner", "dana@example.com".into()), ("due_on", due()), ("kind", "prevent".into()), ("priority", "P3".into()),
        ]);
        "POST" "/api/move_action" Write
            |_, t, _| form(&[("id", t.action.to_string()), ("version", "0".into()), ("status", "in_progress".into())]);
        "POST" "/api/answer_check_back" Write |_, t, _| form(&[("id", t.action.to_string()), ("outcome", "worked".into())]);
        "POST" "/api/follow_up_action" Write |_, t, _| form(&[("id", t.action.to_string())]);
        "POST" "/api/get_postmortem_page" Read |_, t, _| form(&[("reference", format!("INC-{}", t.id))]);
        "POST" "/api/start_postmortem" Write |_, t, _| form(&[("id", t.id.to_string())]);
        "POST" "/api/save_postmortem_section" Write |_, t, _| form(&[
            ("id", t.id.to_string()), ("key", "summary".into()), ("version", "0".into()), ("body", "Stale".into()),
        ]);
        "POST" "/api/preview_markdown" Writer |_, _, _| form(&[("body", "Probe".into())]);
        "POST" "/api/section_history" Read
            |_, t, _| form(&[("reference", format!("INC-{}", t.id)), ("key", "summary".into())]);
        "POST" "/api/get_template" Admin none;
        "POST" "/api/save_template" Admin |_, _, _| form(&[("sections", "Bad Key | Title | required | guidance".into())]);
        "POST" "/api/submit_postmortem" Write |_, t, _| form(&[("id", t.id.to_string())]);
        "POST" "/api/approve_postmortem" Review |_, t, _| form(&[("id", t.id.to_string())]);
        "POST" "/api/request_postmortem_changes" Review
            |_, t, _| form(&[("id", t.id.to_string()), ("comment", "Probe".into())]);
        "POST" "/api/publish_postmortem" Review |_, t, _| form(&[("id", t.id.to_string())]);
        "POST" "/api/close_incident" Write |_, t, _| form(&[("id", t.id.to_string()), ("reason", "Probe".into())]);
        "POST" "/api/list_library" SignedIn none;
        "POST" "/api/get_publication" Read |_, t, _| form(&[("reference", format!("INC-{}", t.id))]);
        "POST" "/api/get_settings" Admin none;
        "POST" "/api/integrations_view" Admin none;
        "POST" "/api/notifications_view" Admin none;
        "POST" "/api/status_view" SignedIn none;
        "POST" "/api/api_reference" Open none;
        "POST" "/api/status_settings_view" Admin none;
        "POST" "/api/add_service" Admin |_, _, _| form(&[("name", String::new()), ("team", String::new()), ("description", String::new())]);
        "POST" "/api/remove_service" Admin |_, _, _| form(&[("id", "999999".into())]);
        "POST" "/api/set_status_public" Admin none;
        "POST" "/api/create_destination" Admin |_, _, _| form(&[("kind", "pager".into()), ("name", String::new()), ("url", String::new()), ("min_severity", String::new())]);
        "POST" "/api/remove_destination" Admin |_, _, _| form(&[("id", "999999".into())]);
        "POST" "/api/test_destination" Admin |_, _, _| form(&[("id", "999999".into())]);
        "POST" "/api/create_integration" Admin |_, _, _| form(&[("kind", "pager".into()), ("name", String::new())]);
        "POST" "/api/revoke_integration" Admin |_, _, _| form(&[("id", "999999".into())]);
        "POST" "/api/save_alert_rules" Admin |_, _, _| form(&[
            ("rules", "severity=critical SEV9".into()), ("default_severity", "SEV3".into()), ("service_labels", String::new()),
        ]);
        // The probe incident is not in triage: allowed callers get a 422, the others 403 or 404.
        "POST" "/api/accept_incident" Write |_, t, _| form(&[("id", t.id.to_string())]);
        "POST" "/api/decline_incident" Write |_, t, _| form(&[("id", t.id.to_string()), ("reason", "Probe".into())]);
        "POST" "/api/save_settings" Admin
            |_, _, _| form(&[("public_url", String::new())]);
        "POST" "/api/toggle_timeline_event" Write
            |_, t, _| form(&[("id", t.id.to_string()), ("event_id", t.event.to_string()), ("include", "true".into())]);
        "POST" "/api/add_contributing_factor" Write
            |_, t, _| form(&[("id", t.id.to_string()), ("factor", "Probe factor".into()), ("category", "process".into())]);
        "POST" "/api/login_options" Open none;
        "POST" "/api/set_local_passwords" Admin |_, _, _| form(&[("on", "on".into())]);
        "POST" "/api/my_security" SignedIn none;
        "POST" "/api/create_api_token" SignedIn |_, _, _| form(&[("name", String::new()), ("scope", "read".into())]);
        "POST" "/api/create_feed_link" SignedIn none;
        "POST" "/api/revoke_api_token" Open |_, _, _| form(&[("id", "999999".into())]);
        "POST" "/api/change_password" SignedIn
            |_, _, _| form(&[("current_password", "not it at all".into()), ("new_password", "short".into())]);
        "POST" "/api/end_other_sessions" SignedIn none;
        "POST" "/api/change_user" Admin |_, _, _| form(&[("user_id", "999999".into()), ("role", "emperor".into())]);
        "POST" "/api/create_reset_link" Admin |f, _, _| form(&[("user_id", f.dana.to_string())]);
        "POST" "/api/take_new_secret" SignedIn |_, _, _| form(&[("kind", "reset".into())]);
        "POST" "/api/check_reset_link" Open |_, _, _| form(&[("secret", "not a real link".into())]);
        "POST" "/api/reset_password" Open
            |_, _, _| form(&[("secret", "not a real link".into()), ("new_password", "a long new password".into())]);
        "POST" "/api/audit_log" Admin none;
        "POST" "/api/insights" SignedIn none;
        "POST" "/api/all_tokens" Admin none;
        "POST" "/api/remove_contributing_factor" Write
            |_, t, _| form(&[("id", t.id.to_string()), ("factor_id", "999999".into())]);
    }
}

/// A served route as a row's key: server functions lose the hash the macro appends to their name.
/// A served route with its parameters in the router's `{name}` syntax.
fn normalise(path: &str) -> String {
    path.replace(":reference", "{reference}")
        .replace(":key", "{key}")
        .replace(":id", "{id}")
        .replace(":secret", "{secret}")
}

/// A row's key: server functions lose the hash the macro appends to their name.
fn key(method: &str, path: &str) -> (String, String) {
    let path = normalise(path);
    let path = match path.strip_prefix("/api/") {
        Some(rest) if !rest.starts_with("v1/") => {
            format!("/api/{}", rest.trim_end_matches(|c: char| c.is_ascii_digit()))
        }
        _ => path,
    };
    (method.to_string(), path)
}

fn fill(path: &str, t: &Target) -> String {
    path.replace("/tokens/{id}", "/tokens/999999")
        .replace("/integrations/{id}", "/integrations/999999")
        .replace("/destinations/{id}", "/destinations/999999")
        .replace("/services/{id}", "/services/999999")
        .replace("/users/{id}", "/users/999999")
        .replace("{secret}", "0123456789abcdef")
        .replace("{reference}", &format!("INC-{}", t.id))
        .replace("/actions/{id}", &format!("/actions/{}", t.action))
        .replace("{id}", &t.id.to_string())
        .replace("{key}", "summary")
        .replace("{event_id}", &t.event.to_string())
        .replace("{user_id}", "999999")
        .replace("{factor_id}", "999999")
        .replace("{moment}", "detected")
}

/// One person as the matrix uses them: a browser session and an API token.
struct Person {
    who: Who,
    browser: Client,
    token: Option<String>,
}

async fn outcome(app: &TestApp, p: &Person, row: &Row, path: &str, body: Body) -> (Outcome, String) {
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let api = path.starts_with("/api/v1/");
    let server_fn = path.starts_with("/api/") && !api;
    // The API by token; everything else as a browser with its session cookie.
    let mut req = if api {
        let req = reqwest::Client::new().request(method, app.url(path));
        match &p.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    } else {
        p.browser.request(method, app.url(path)).header("origin", &app.base)
    };
    if server_fn {
        req = req.header("accept", "application/json");
    }
    req = match body {
        Body::None if server_fn => req.header("content-type", "application/x-www-form-urlencoded").body(""),
        Body::None => req,
        Body::Json(v) => req.json(&v),
        Body::Form(f) => req.form(&f),
    };
    let res = req.send().await.unwrap_or_else(|e| panic!("{} {path}: {e}", row.method));
    let status = res.status();
    let location = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
    // A live stream never ends by itself: its status and headers are the answer.
    let text = if path.starts_with("/live/") && status == StatusCode::OK {
        String::new()
    } else {
        res.text().await.unwrap_or_default()
    };
    let said = format!("{status} {location} {}", text.chars().take(300).collect::<String>());
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{} {path} as {:?}: {said}", row.method, p.who);
    let hidden = text.contains("There is no incident INC-") || text.contains("There is no action item");
    let out = match status.as_u16() {
        401 => Outcome::SignIn,
        302 | 303 | 307 if location.starts_with("/login") => Outcome::SignIn,
        403 => Outcome::Forbidden,
        404 if hidden => Outcome::Hidden,
        _ => Outcome::Allowed,
    };
    (out, said)
}

/// Dana (a member) declares both incidents and gives each a postmortem, a key event and an item;
/// Pat is added to both.
async fn fixture(dana: &Api<'_>, pat: i64) -> Fixture {
    let mut targets = Vec::new();
    for private in [false, true] {
        let inc = id(&dana
            .declare(json!({"title": format!("Probe {private}"), "severity": "SEV3", "private": private}))
            .await);
        let (status, _) = dana.post(&format!("/incidents/{inc}/postmortem"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, event) = dana.note(inc, json!({"body": "Deploy went out", "key": "trigger"})).await;
        assert_eq!(status, StatusCode::CREATED, "{event}");
        let owner = dana.get("/me").await.1["id"].as_i64().unwrap();
        let (status, item) = dana
            .post(
                &format!("/incidents/{inc}/actions"),
                json!({
                    "title": "Fixture item", "owner": owner, "due_on": due(), "type": "prevent", "priority": "P2"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        let (status, out) = dana.post(&format!("/incidents/{inc}/participants"), json!({"user_id": pat})).await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        targets.push(Target { id: inc, action: id(&item), event: id(&event) });
    }
    let dana_id = dana.get("/me").await.1["id"].as_i64().unwrap();
    let private = targets.pop().unwrap();
    let public = targets.pop().unwrap();
    Fixture { public, private, dana: dana_id }
}

#[sqlx::test(migrations = "./migrations")]
async fn every_route_for_everyone(pool: PgPool) {
    let app = spawn(pool).await;
    let table = table();

    // Every served route has a row, and every row is a served route.
    let served_paths = debrief::startup::route_list();
    let served: Vec<(String, String)> = served_paths.iter().map(|(m, p)| key(m, p)).collect();
    let rows: Vec<(String, String)> = table.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let missing: Vec<_> = served.iter().filter(|s| !rows.contains(s)).collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:?}");
    let stale: Vec<_> = rows.iter().filter(|r| !served.contains(r)).collect();
    assert!(stale.is_empty(), "rows for routes that are not served: {stale:?}");

    let mut people = Vec::new();
    let Account { token: dana_token, .. } = app.member("dana@example.com", "Dana").await;
    for (who, email, role) in [
        (Who::Reader, "rita@example.com", "reader"),
        (Who::Member, "bob@example.com", "member"),
        (Who::Participant, "pat@example.com", "member"),
        (Who::Admin, "ada@example.com", "admin"),
    ] {
        let Account { token, .. } = app.account(email, email, role).await;
        people.push(Person { who, browser: sign_in_as(&app, email).await, token: Some(token) });
    }
    people.insert(0, Person { who: Who::SignedOut, browser: browser_like(), token: None });
    let pat = debrief::server::accounts::token_user(&app.pool, people[3].token.as_deref().unwrap()).await.unwrap().id;
    let f = fixture(&Api::new(&app, &dana_token), pat).await;

    // Signing out last, so every other row runs signed in.
    let mut order: Vec<&Row> = table.iter().collect();
    order.sort_by_key(|r| r.path == "/api/sign_out");
    let mut wrong = Vec::new();
    for p in &people {
        for row in &order {
            let incs: &[Inc] = if row.rule.per_incident() { &[Inc::Public, Inc::Private] } else { &[Inc::Public] };
            for inc in incs {
                let t = f.target(*inc);
                // The path as served: server functions' names carry a hash.
                let wanted = (row.method.to_string(), row.path.to_string());
                let (_, served_path) = served_paths.iter().find(|(m, p)| key(m, p) == wanted).unwrap();
                let path = fill(&normalise(served_path), t);
                let (got, said) = outcome(&app, p, row, &path, (row.probe)(&f, t, *inc)).await;
                let Some(want) = row.rule.expect(p.who, *inc) else { continue };
                if got != want {
                    wrong.push(format!(
                        "{} {path} as {:?} on {inc:?}: want {want:?}, got {got:?} ({said})",
                        row.method, p.who
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of the matrix's answers are wrong:\n{}", wrong.len(), wrong.join("\n"));
}
