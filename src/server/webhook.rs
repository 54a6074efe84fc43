//! The outgoing webhook: a Slack-compatible message (`text` plus `blocks`) on every publication.

use super::db;
use crate::domain::postmortem::Postmortem;
use crate::domain::slack;
use crate::domain::Incident;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::time::Duration;

pub const WEBHOOK_URL: &str = "webhook_url";
pub const PUBLIC_URL: &str = "public_url";
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Where publications are announced; empty for none.
    pub webhook_url: String,
    /// Debrief's own address, for links in messages.
    pub public_url: String,
}

fn check_url(field: &str, url: &str, optional: bool) -> AppResult<String> {
    let url = url.trim().trim_end_matches('/').to_string();
    if url.is_empty() && optional {
        return Ok(url);
    }
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && !url.contains(char::is_whitespace);
    if ok {
        Ok(url)
    } else {
        Err(AppError::invalid(field, "Enter an http:// or https:// address"))
    }
}

pub async fn settings(pool: &PgPool) -> AppResult<Settings> {
    Ok(Settings {
        webhook_url: db::postmortems::setting(pool, WEBHOOK_URL).await?.unwrap_or_default(),
        public_url: db::postmortems::setting(pool, PUBLIC_URL).await?.unwrap_or_else(|| DEFAULT_PUBLIC_URL.into()),
    })
}

/// The settings as the admin's Settings page and the API show them.
pub async fn settings_for(pool: &PgPool, user: &crate::domain::User) -> AppResult<Settings> {
    super::access::require_admin(user)?;
    settings(pool).await
}

pub async fn save_settings(pool: &PgPool, user: &crate::domain::User, s: &Settings) -> AppResult<Settings> {
    super::access::require_admin(user)?;
    let webhook = check_url("webhook_url", &s.webhook_url, true);
    let public = check_url("public_url", &s.public_url, false);
    let (webhook, public) = match (webhook, public) {
        (Ok(w), Ok(p)) => (w, p),
        (w, p) => {
            let fields = [w.err(), p.err()].into_iter().flatten().filter_map(|e| match e {
                AppError::Invalid { fields, .. } => Some(fields),
                _ => None,
            });
            return Err(AppError::fields(fields.flatten().collect()));
        }
    };
    let mut tx = pool.begin().await?;
    db::postmortems::set_setting(&mut *tx, WEBHOOK_URL, &webhook).await?;
    db::postmortems::set_setting(&mut *tx, PUBLIC_URL, &public).await?;
    tx.commit().await?;
    settings(pool).await
}

/// The message: one line of `text` for notifications, and blocks with the summary and a link. Every
/// piece a user wrote is escaped for Slack (see `domain::slack`).
pub fn message(incident: &Incident, summary: &str, link: &str, revision: i32) -> serde_json::Value {
    let verb =
        if revision > 1 { format!("Revised postmortem (revision {revision})") } else { "Postmortem published".into() };
    let text = format!("{verb}: {} {} ({})", incident.reference, slack::escape(&incident.title), incident.severity);
    let summary = summary.trim();
    let summary = if summary.is_empty() { "_No summary._".to_string() } else { slack::escape(summary) };
    serde_json::json!({
        "text": format!("{text} {}", slack::escape(link)),
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": slack::truncate(&text, 150) } },
            { "type": "section", "text": { "type": "mrkdwn", "text": slack::truncate(&summary, 2900) } },
            { "type": "section", "text": { "type": "mrkdwn", "text": slack::link(link, "Read the write-up") } },
        ]
    })
}

/// Sends the announcement in the background: a slow or failing receiver never holds up publishing,
/// and a failure is logged.
pub async fn announce(pool: &PgPool, incident: &Incident, pm: &Postmortem, revision: i32) {
    let s = match settings(pool).await {
        Ok(s) if !s.webhook_url.is_empty() => s,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not read webhook settings");
            return;
        }
    };
    let summary = pm.sections.iter().find(|s| s.key == "summary").map(|s| s.body.as_str()).unwrap_or("");
    let link = format!("{}{}", s.public_url, super::postmortems::library_url(incident.id));
    let body = message(incident, summary, &link, revision);
    let reference = incident.reference.clone();
    tokio::spawn(async move {
        match post(&s.webhook_url, &body).await {
            Ok(()) => tracing::info!(incident = %reference, "publication announced"),
            Err(e) => tracing::warn!(incident = %reference, error = %e, "webhook did not take the announcement"),
        }
    });
}

/// Posts one message to the webhook and waits for the receiver to accept it.
pub async fn post(url: &str, body: &serde_json::Value) -> Result<(), String> {
    let client = reqwest::Client::new();
    match client.post(url).json(body).timeout(Duration::from_secs(10)).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("the webhook refused the message ({})", r.status())),
        Err(e) => Err(format!("the webhook is unreachable: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IncidentStatus, Severity, UserRef};
    use chrono::{TimeZone, Utc};

    fn incident() -> Incident {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        Incident {
            id: 7,
            reference: "INC-7".into(),
            title: "Checkout down".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Closed,
            summary: String::new(),
            services: vec![],
            started_at: t,
            declared_at: t,
            resolved_at: Some(t),
            declared_by: UserRef { id: 1, name: "Ada".into() },
            commander: None,
            comms_lead: None,
            scribe: None,
            private: false,
            participants: vec![],
            version: 3,
            url: "/incidents/INC-7".into(),
        }
    }

    #[test]
    fn slack_message_has_text_and_blocks() {
        let m = message(&incident(), "Checkout failed.", "https://debrief.example/library/INC-7", 1);
        assert_eq!(m["text"], "Postmortem published: INC-7 Checkout down (SEV1) https://debrief.example/library/INC-7");
        assert_eq!(m["blocks"].as_array().unwrap().len(), 3);
        assert_eq!(m["blocks"][1]["text"]["text"], "Checkout failed.");
        let again = message(&incident(), "", "x", 2);
        assert!(again["text"].as_str().unwrap().starts_with("Revised postmortem (revision 2)"));
    }

    #[test]
    fn user_text_cannot_ping_or_disguise_links() {
        let mut inc = incident();
        inc.title = "<!channel> Checkout & cart".into();
        let summary = "See <https://evil|Read the write-up> now";
        let m = message(&inc, summary, "https://debrief.example/library/INC-7", 1);
        assert_eq!(
            m["text"],
            "Postmortem published: INC-7 &lt;!channel&gt; Checkout &amp; cart (SEV1) https://debrief.example/library/INC-7"
        );
        assert_eq!(
            m["blocks"][0]["text"]["text"],
            "Postmortem published: INC-7 &lt;!channel&gt; Checkout &amp; cart (SEV1)"
        );
        assert_eq!(m["blocks"][1]["text"]["text"], "See &lt;https://evil|Read the write-up&gt; now");
        assert_eq!(m["blocks"][2]["text"]["text"], "<https://debrief.example/library/INC-7|Read the write-up>");
        let all = m.to_string();
        assert!(!all.contains("<!channel>") && !all.contains("<https://evil"), "{all}");
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(check_url("u", " https://x.example/ ", false).unwrap(), "https://x.example");
        assert!(check_url("u", "ftp://x", true).is_err());
        assert_eq!(check_url("u", "", true).unwrap(), "");
        assert!(check_url("u", "", false).is_err());
    }
}
