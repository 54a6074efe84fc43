//! Notifications out: the events destinations can hear, their rules, and the message each kind of
//! destination is sent. Every piece a user wrote is escaped for its target (Slack `mrkdwn`, Teams
//! Markdown); signed JSON carries the raw text, as JSON escapes it.

use super::incident::{wire_enum, Severity};
use super::slack;
use super::validate::{check, FieldErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DestinationKind {
    Slack,
    Teams,
    SignedJson,
    Email,
}

wire_enum!(DestinationKind, "destination kind", {
    Slack => "slack",
    Teams => "teams",
    SignedJson => "signed_json",
    Email => "email",
});

impl DestinationKind {
    pub fn label(self) -> &'static str {
        match self {
            DestinationKind::Slack => "Slack-compatible webhook",
            DestinationKind::Teams => "Microsoft Teams workflow (Adaptive Card)",
            DestinationKind::SignedJson => "JSON signed with HMAC-SHA256",
            DestinationKind::Email => "Email to an address (a mailing list)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum NotifyEvent {
    Declared,
    Accepted,
    SeverityChanged,
    StatusChanged,
    UpdatePosted,
    Resolved,
    Published,
    ActionOverdue,
    /// Sent by *Send test*, whatever the rules say.
    Test,
}

wire_enum!(NotifyEvent, "event", {
    Declared => "declared",
    Accepted => "accepted",
    SeverityChanged => "severity_changed",
    StatusChanged => "status_changed",
    UpdatePosted => "update_posted",
    Resolved => "resolved",
    Published => "published",
    ActionOverdue => "action_overdue",
    Test => "test",
});

impl NotifyEvent {
    /// The events a destination can choose (the test is not one).
    pub const CHOICES: &'static [NotifyEvent] = &[
        NotifyEvent::Declared,
        NotifyEvent::Accepted,
        NotifyEvent::SeverityChanged,
        NotifyEvent::StatusChanged,
        NotifyEvent::UpdatePosted,
        NotifyEvent::Resolved,
        NotifyEvent::Published,
        NotifyEvent::ActionOverdue,
    ];

    pub fn label(self) -> &'static str {
        match self {
            NotifyEvent::Declared => "Incident declared",
            NotifyEvent::Accepted => "Accepted from triage",
            NotifyEvent::SeverityChanged => "Severity changed",
            NotifyEvent::StatusChanged => "Status changed (other than resolved)",
            NotifyEvent::UpdatePosted => "Stakeholder update posted",
            NotifyEvent::Resolved => "Incident resolved",
            NotifyEvent::Published => "Postmortem published",
            NotifyEvent::ActionOverdue => "Action items overdue (daily digest)",
            NotifyEvent::Test => "Test message",
        }
    }
}

/// A destination as admins see it: never its address or signing secret, only the address's host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Destination {
    pub id: i64,
    pub kind: DestinationKind,
    pub name: String,
    /// The host the messages go to (the rest of the address is a secret).
    pub host: String,
    pub events: Vec<NotifyEvent>,
    pub min_severity: Severity,
    pub created_by: super::UserRef,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl Destination {
    /// Whether this destination hears `event` about an incident of `severity` (none: not about one
    /// incident, such as the daily digest). Private incidents are filtered out before this.
    pub fn wants(&self, event: NotifyEvent, severity: Option<Severity>) -> bool {
        self.removed_at.is_none()
            && (event == NotifyEvent::Test
                || (self.events.contains(&event) && severity.is_none_or(|s| s <= self.min_severity)))
    }
}

/// The answer that creates a destination; `secret` (signed JSON only) is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewDestination {
    #[serde(flatten)]
    pub destination: Destination,
    pub secret: Option<String>,
}

/// A destination as typed (form or JSON).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DestinationInput {
    #[cfg_attr(feature = "ssr", schema(required, value_type = DestinationKind))]
    #[serde(default)]
    pub kind: String,
    #[cfg_attr(feature = "ssr", schema(required, min_length = 1, max_length = 80))]
    #[serde(default)]
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(required, example = "https://hooks.slack.com/services/T0/B0/x"))]
    #[serde(default)]
    pub url: String,
    #[cfg_attr(feature = "ssr", schema(required, value_type = Vec<NotifyEvent>, min_items = 1))]
    #[serde(default)]
    pub events: Vec<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::domain::Severity>))]
    #[serde(default)]
    pub min_severity: Option<String>,
}

/// A change to a destination's rules or name, as typed; what is absent stays. The kind and the
/// address stay as they are (a new address is a new destination, so the log stays true).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DestinationPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub min_severity: Option<String>,
}

impl DestinationPatch {
    /// The name, events and minimum severity after the change; every field's problem at once.
    pub fn apply(&self, d: &Destination) -> Result<(String, Vec<NotifyEvent>, Severity), FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = match &self.name {
            Some(n) => check(&mut errs, "name", destination_name(n)),
            None => Some(d.name.clone()),
        };
        let events = match &self.events {
            Some(e) => check(&mut errs, "events", chosen_events(e)),
            None => Some(d.events.clone()),
        };
        let min = match &self.min_severity {
            Some(m) => check(&mut errs, "min_severity", min_severity(Some(m))),
            None => Some(d.min_severity),
        };
        match (name, events, min) {
            (Some(name), Some(events), Some(min)) => Ok((name, events, min)),
            _ => Err(errs),
        }
    }
}

/// A checked destination (the URL's shape here; whether it is internal is the server's call).
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationSpec {
    pub kind: DestinationKind,
    pub name: String,
    pub url: String,
    pub events: Vec<NotifyEvent>,
    pub min_severity: Severity,
}

impl DestinationInput {
    /// Every field's problem at once.
    pub fn check(&self) -> Result<DestinationSpec, FieldErrors> {
        let mut errs = FieldErrors::new();
        let kind = check(&mut errs, "kind", self.kind.parse::<DestinationKind>());
        let name = check(&mut errs, "name", destination_name(&self.name));
        let url = match kind {
            Some(DestinationKind::Email) => check(&mut errs, "url", mail_address(&self.url)),
            _ => check(&mut errs, "url", web_address(&self.url)),
        };
        let events = check(&mut errs, "events", chosen_events(&self.events));
        let min = check(&mut errs, "min_severity", min_severity(self.min_severity.as_deref()));
        match (kind, name, url, events, min) {
            (Some(kind), Some(name), Some(url), Some(events), Some(min_severity)) => {
                Ok(DestinationSpec { kind, name, url, events, min_severity })
            }
            _ => Err(errs),
        }
    }
}

fn destination_name(input: &str) -> Result<String, String> {
    super::validate::setup_name(input, "destination", "#incidents")
}

/// The events ticked or listed: at least one, each a known one (not the test), each once.
fn chosen_events(input: &[String]) -> Result<Vec<NotifyEvent>, String> {
    let mut events = Vec::new();
    for e in input {
        match e.trim().parse::<NotifyEvent>() {
            Ok(NotifyEvent::Test) | Err(_) => {
                let known = NotifyEvent::CHOICES.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
                return Err(format!("Unknown event \u{201c}{}\u{201d}: choose from {known}", e.trim()));
            }
            Ok(e) if !events.contains(&e) => events.push(e),
            Ok(_) => {}
        }
    }
    if events.is_empty() {
        return Err("Choose at least one event to send".into());
    }
    Ok(events)
}

/// The least severe incident told; SEV4 (all of them) when not given.
fn min_severity(input: Option<&str>) -> Result<Severity, String> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Severity::Sev4),
        Some(s) => s.parse::<Severity>(),
    }
}

/// An http(s) address with a host, without spaces; trailing slashes kept (some receivers need them).
pub fn web_address(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && url.len() <= 2000 && !url.contains(char::is_whitespace) => Ok(url.to_string()),
        _ => Err("Enter the receiver's http:// or https:// address".into()),
    }
}

/// An email destination's address as stored: `mailto:` and the address, typed with or without it.
pub fn mail_address(input: &str) -> Result<String, String> {
    let bare = input.trim().trim_start_matches("mailto:");
    super::validate::email(bare)
        .ok()
        .filter(|a| !a.contains(['<', '>', ',', ';', '"']))
        .map(|a| format!("mailto:{a}"))
        .ok_or_else(|| "Enter the email address to send to, for example postmortems@example.com".into())
}

/// A message as mail carries it: a one-line subject, plain text, and HTML with every user text escaped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A finished message to one person, with their one-click unsubscribe address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonalMail {
    pub mail: Mail,
    pub unsubscribe: String,
}

pub use super::html::escape as html_escape;

/// Paragraphs (blank-line separated) of escaped text, lines kept.
pub fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", html_escape(p.trim()).replace('\n', "<br>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A notice as mail to a list: the headline as subject, the detail, the facts and the link.
pub fn email_message(n: &Notice) -> Mail {
    let mut facts = Vec::new();
    if let Some(i) = &n.incident {
        facts.push(format!("Severity: {}", i.severity));
        facts.push(format!("Status: {}", i.status.label()));
        if !i.services.is_empty() {
            facts.push(format!("Services: {}", i.services.join(", ")));
        }
    }
    let detail = n.detail.trim();
    let mut text = format!("{}\n\n", n.headline);
    if !detail.is_empty() {
        text.push_str(&format!("{detail}\n\n"));
    }
    if !facts.is_empty() {
        text.push_str(&format!("{}\n\n", facts.join("\n")));
    }
    text.push_str(&format!("Open in Debrief: {}\n", n.link));
    let html = format!(
        "<!DOCTYPE html>\n<html><body>\n<h2>{}</h2>\n{}\n{}\n<p><a href=\"{}\">Open in Debrief</a></p>\n</body></html>\n",
        html_escape(&n.headline),
        html_paragraphs(detail),
        if facts.is_empty() { String::new() } else { format!("<p>{}</p>", facts.iter().map(|f| html_escape(f)).collect::<Vec<_>>().join("<br>")) },
        html_escape(&n.link),
    );
    Mail { subject: n.headline.clone(), text, html }
}

/// What happened, as every destination kind is told it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub event: NotifyEvent,
    /// One line: "INC-7 Checkout down is now SEV1 (was SEV3)".
    pub headline: String,
    /// More text a person wrote (an update, a summary); may be empty.
    pub detail: String,
    pub incident: Option<NoticeIncident>,
    /// Where to read more (absolute).
    pub link: String,
    pub actor: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeIncident {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub status: super::IncidentStatus,
    pub services: Vec<String>,
}

/// Slack's incoming-webhook message: `text` for notifications and blocks for the message itself.
pub fn slack_message(n: &Notice) -> serde_json::Value {
    let headline = slack::escape(&n.headline);
    let mut blocks = vec![serde_json::json!({
        "type": "section", "text": { "type": "mrkdwn", "text": slack::truncate(&format!("*{headline}*"), 2900) }
    })];
    if !n.detail.trim().is_empty() {
        blocks.push(serde_json::json!({
            "type": "section", "text": { "type": "mrkdwn", "text": slack::truncate(&slack::escape(n.detail.trim()), 2900) }
        }));
    }
    let mut context = Vec::new();
    if let Some(i) = &n.incident {
        context.push(format!("{} · {}", i.severity, i.status.label()));
        if !i.services.is_empty() {
            context.push(slack::escape(&i.services.join(", ")));
        }
    }
    context.push(slack::link(&n.link, "Open in Debrief"));
    blocks.push(serde_json::json!({
        "type": "context", "elements": [{ "type": "mrkdwn", "text": context.join(" · ") }]
    }));
    serde_json::json!({ "text": format!("{headline} {}", slack::escape(&n.link)), "blocks": blocks })
}

/// Escapes text for an Adaptive Card `TextBlock`, which reads a Markdown subset and `{{…}}` date
/// functions: each Markdown character gets a backslash, and braces are broken apart.
pub fn teams_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '>' | '<' | '`' | '~' | '|' | '!' | '-' | '+' => {
                out.push('\\');
                out.push(c);
            }
            // `{{DATE(…)}}` is a function; a zero-width joiner between the braces stops it.
            '{' | '}' => {
                out.push(c);
                out.push('\u{200b}');
            }
            c => out.push(c),
        }
    }
    out
}

/// A Microsoft Teams workflow ("Post to a channel when a webhook request is received") message: one
/// Adaptive Card with the headline, the detail, facts and a button to the incident.
pub fn teams_message(n: &Notice) -> serde_json::Value {
    let mut body = vec![serde_json::json!({
        "type": "TextBlock", "text": teams_escape(&n.headline), "weight": "Bolder", "size": "Medium", "wrap": true
    })];
    if !n.detail.trim().is_empty() {
        body.push(serde_json::json!({ "type": "TextBlock", "text": teams_escape(n.detail.trim()), "wrap": true }));
    }
    if let Some(i) = &n.incident {
        let mut facts = vec![
            serde_json::json!({ "title": "Severity", "value": i.severity.as_str() }),
            serde_json::json!({ "title": "Status", "value": i.status.label() }),
        ];
        if !i.services.is_empty() {
            facts.push(serde_json::json!({ "title": "Services", "value": teams_escape(&i.services.join(", ")) }));
        }
        body.push(serde_json::json!({ "type": "FactSet", "facts": facts }));
    }
    serde_json::json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{ "type": "Action.OpenUrl", "title": "Open in Debrief", "url": n.link }]
            }
        }]
    })
}

/// The signed JSON body: the notice as data, with the idempotency key as its `id`.
pub fn json_message(n: &Notice, key: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(n).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), key.into());
    }
    v
}

/// When attempt `attempts` + 1 is made after a failure: `base`, doubling, at most an hour apart.
pub fn retry_delay(attempts: i32, base: std::time::Duration) -> std::time::Duration {
    let factor = 1u32 << attempts.clamp(0, 16);
    base.saturating_mul(factor).min(std::time::Duration::from_secs(3600))
}

/// How long the outbox keeps trying before it gives a notification up.
pub const GIVE_UP_AFTER_HOURS: i64 = 24;

/// A delivery as the Settings page and the API list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    pub event: NotifyEvent,
    pub incident: Option<String>,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub state: DeliveryState,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, in words that never include the address.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DeliveryState {
    Pending,
    Delivered,
    GivenUp,
}

wire_enum!(DeliveryState, "delivery state", { Pending => "pending", Delivered => "delivered", GivenUp => "given_up" });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IncidentStatus;
    use chrono::TimeZone;

    fn notice() -> Notice {
        Notice {
            event: NotifyEvent::SeverityChanged,
            headline: "INC-7 <!channel> *Checkout* down is now SEV1 (was SEV3)".into(),
            detail: "Card payments fail: see <https://evil|here> {{DATE(2017-02-14T06:08:39Z)}}".into(),
            incident: Some(NoticeIncident {
                id: 7,
                reference: "INC-7".into(),
                title: "<!channel> *Checkout* down".into(),
                severity: Severity::Sev1,
                status: IncidentStatus::Investigating,
                services: vec!["checkout".into(), "payments".into()],
            }),
            link: "https://debrief.example/incidents/INC-7".into(),
            actor: Some("Ada".into()),
            occurred_at: Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn slack_message_escapes_what_users_wrote() {
        let m = slack_message(&notice());
        assert_eq!(
            m["text"],
            "INC-7 &lt;!channel&gt; *Checkout* down is now SEV1 (was SEV3) https://debrief.example/incidents/INC-7"
        );
        assert_eq!(m["blocks"][0]["text"]["text"], "*INC-7 &lt;!channel&gt; *Checkout* down is now SEV1 (was SEV3)*");
        assert!(m["blocks"][1]["text"]["text"].as_str().unwrap().contains("&lt;https://evil|here&gt;"));
        assert_eq!(
            m["blocks"][2]["elements"][0]["text"],
            "SEV1 · Investigating · checkout, payments · <https://debrief.example/incidents/INC-7|Open in Debrief>"
        );
        let all = m.to_string();
        assert!(!all.contains("<!channel>") && !all.contains("<https://evil"), "{all}");
    }

    #[test]
    fn email_escapes_what_users_wrote_in_its_html_part() {
        let mut n = notice();
        n.detail = "Cards <script>alert(1)</script> & \"more\"\n\nSecond paragraph".into();
        let m = email_message(&n);
        assert_eq!(m.subject, n.headline);
        assert!(m.text.contains("Cards <script>alert(1)</script>"), "plain text stays as written: {}", m.text);
        assert!(m.text.ends_with("Open in Debrief: https://debrief.example/incidents/INC-7\n"));
        assert!(
            m.html.contains("<p>Cards &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;</p>"),
            "{}",
            m.html
        );
        assert!(
            m.html.contains("<h2>INC-7 &lt;!channel&gt; *Checkout* down is now SEV1 (was SEV3)</h2>"),
            "{}",
            m.html
        );
        assert!(m.html.contains("Services: checkout, payments"));
        assert!(!m.html.contains("<script>"), "{}", m.html);
    }

    #[test]
    fn email_destinations_take_an_address() {
        assert_eq!(mail_address(" postmortems@example.com ").unwrap(), "mailto:postmortems@example.com");
        assert_eq!(mail_address("mailto:a@b.example").unwrap(), "mailto:a@b.example");
        for bad in ["", "not an address", "a@b.example, c@d.example", "Eve <e@x.example>"] {
            assert!(mail_address(bad).is_err(), "{bad}");
        }
        let input = DestinationInput {
            kind: "email".into(),
            name: "Postmortems list".into(),
            url: "postmortems@example.com".into(),
            events: vec!["published".into()],
            min_severity: None,
        };
        assert_eq!(input.check().unwrap().url, "mailto:postmortems@example.com");
    }

    #[test]
    fn teams_message_is_an_adaptive_card_with_escaped_text() {
        let m = teams_message(&notice());
        assert_eq!(m["type"], "message");
        let card = &m["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        let content = &card["content"];
        assert_eq!(content["type"], "AdaptiveCard");
        assert_eq!(content["version"], "1.4");
        assert_eq!(
            content["body"][0]["text"],
            "INC\\-7 \\<\\!channel\\> \\*Checkout\\* down is now SEV1 \\(was SEV3\\)"
        );
        let detail = content["body"][1]["text"].as_str().unwrap();
        assert!(detail.contains("\\<https://evil\\|here\\>"), "{detail}");
        assert!(!detail.contains("{{"), "no date function survives: {detail}");
        assert_eq!(content["body"][2]["facts"][0]["value"], "SEV1");
        assert_eq!(content["actions"][0]["url"], "https://debrief.example/incidents/INC-7");
    }

    #[test]
    fn json_message_carries_the_key_and_raw_text() {
        let m = json_message(&notice(), "0b0e3c1e-0000-4000-8000-000000000001");
        assert_eq!(m["id"], "0b0e3c1e-0000-4000-8000-000000000001");
        assert_eq!(m["event"], "severity_changed");
        assert_eq!(m["incident"]["reference"], "INC-7");
        assert_eq!(m["incident"]["severity"], "SEV1");
        assert_eq!(m["occurred_at"], "2026-12-03T10:00:00Z");
        assert_eq!(m["detail"], notice().detail);
    }

    fn destination(events: &[NotifyEvent], min: Severity) -> Destination {
        Destination {
            id: 1,
            kind: DestinationKind::Slack,
            name: "#incidents".into(),
            host: "hooks.slack.com".into(),
            events: events.to_vec(),
            min_severity: min,
            created_by: crate::domain::UserRef { id: 1, name: "Ada".into() },
            created_at: Utc::now(),
            removed_at: None,
        }
    }

    #[test]
    fn rules_choose_events_and_a_minimum_severity() {
        let d = destination(&[NotifyEvent::Declared, NotifyEvent::ActionOverdue], Severity::Sev2);
        assert!(d.wants(NotifyEvent::Declared, Some(Severity::Sev1)));
        assert!(d.wants(NotifyEvent::Declared, Some(Severity::Sev2)));
        assert!(!d.wants(NotifyEvent::Declared, Some(Severity::Sev3)), "less severe than the minimum");
        assert!(!d.wants(NotifyEvent::Resolved, Some(Severity::Sev1)), "not chosen");
        assert!(d.wants(NotifyEvent::ActionOverdue, None), "the digest is about no one incident");
        assert!(d.wants(NotifyEvent::Test, Some(Severity::Sev4)), "a test always goes");
        let removed = Destination { removed_at: Some(Utc::now()), ..d };
        assert!(!removed.wants(NotifyEvent::Test, None));
    }

    #[test]
    fn input_errors_are_named_per_field() {
        let bad = DestinationInput {
            kind: "pager".into(),
            name: " ".into(),
            url: "ftp://x".into(),
            events: vec!["declared".into(), "exploded".into()],
            min_severity: Some("SEV9".into()),
        };
        let errs = bad.check().unwrap_err();
        for f in ["kind", "name", "url", "events", "min_severity"] {
            assert!(errs.contains_key(f), "{f}: {errs:?}");
        }
        assert!(errs["events"].contains("exploded"), "{errs:?}");
        let none = DestinationInput { events: vec![], ..bad };
        assert_eq!(none.check().unwrap_err()["events"], "Choose at least one event to send");
        let good = DestinationInput {
            kind: "teams".into(),
            name: "Ops".into(),
            url: " https://example.webhook.office.com/workflows/x ".into(),
            events: vec!["declared".into(), "declared".into(), "resolved".into()],
            min_severity: None,
        };
        let spec = good.check().unwrap();
        assert_eq!(spec.events, [NotifyEvent::Declared, NotifyEvent::Resolved]);
        assert_eq!(spec.min_severity, Severity::Sev4);
        assert_eq!(spec.url, "https://example.webhook.office.com/workflows/x");
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let base = std::time::Duration::from_secs(30);
        assert_eq!(retry_delay(0, base).as_secs(), 30);
        assert_eq!(retry_delay(1, base).as_secs(), 60);
        assert_eq!(retry_delay(3, base).as_secs(), 240);
        assert_eq!(retry_delay(12, base).as_secs(), 3600);
        assert_eq!(retry_delay(400, base).as_secs(), 3600);
    }
}
