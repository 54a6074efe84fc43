//! The outgoing webhook: a Slack-compatible message (`text` plus `blocks`) on every publication.
//!
//! The address is set by an admin, so it must not become a way into the network Debrief runs in:
//! unless the operator allows it, nothing is sent to an internal address (checked when the address
//! is saved and again after every DNS lookup), and redirects are never followed. The address is a
//! secret (Slack's carries its token), so it is never logged.

use super::db;
use crate::domain::postmortem::Postmortem;
use crate::domain::slack;
use crate::domain::Incident;
use crate::error::{AppError, AppResult};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub const WEBHOOK_URL: &str = "webhook_url";
pub const PUBLIC_URL: &str = "public_url";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Where publications are announced; empty for none.
    pub webhook_url: String,
    /// Debrief's own address, for links in messages.
    pub public_url: String,
}

/// Why an internal address is refused when it is saved.
pub const INTERNAL_MESSAGE: &str = "This is an internal address (loopback, private or link-local). Debrief only \
     posts to public addresses unless the operator allows private ones (DEBRIEF_WEBHOOK_ALLOW_PRIVATE).";

fn check_url(field: &str, url: &str, optional: bool) -> AppResult<String> {
    let url = url.trim().trim_end_matches('/').to_string();
    if url.is_empty() && optional {
        return Ok(url);
    }
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && !url.contains(char::is_whitespace)
        && Url::parse(&url).is_ok_and(|u| u.host().is_some());
    if ok {
        Ok(url)
    } else {
        Err(AppError::invalid(field, "Enter an http:// or https:// address"))
    }
}

/// How webhooks leave: one client that never follows a redirect (a 307 would re-send the message
/// anywhere) and, unless private addresses are allowed, only connects to public ones.
#[derive(Clone, Debug)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    /// `allow_private` is the operator's choice (`--webhook-allow-private`), for receivers on the
    /// same host or network.
    pub fn new(allow_private: bool) -> Result<Self, String> {
        let builder =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(10));
        // A proxy would look the name up itself, past the filter: when the filter is on, go direct.
        let builder = if allow_private { builder } else { builder.no_proxy().dns_resolver(Arc::new(PublicOnly)) };
        let client = builder.build().map_err(|e| format!("the webhook client: {e}"))?;
        Ok(Outbound { client, allow_private })
    }

    /// Whether the address may be posted to as written. Names other than `localhost` are checked
    /// when they are looked up (see `PublicOnly`); IP addresses are never looked up, so here.
    fn allows(&self, url: &Url) -> bool {
        // The URL parser has already turned every way of writing an IP address into the usual one.
        let Some(host) = url.host_str() else { return false };
        self.allow_private
            || match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
                Ok(ip) => !is_internal(ip),
                Err(_) => {
                    let name = host.trim_end_matches('.').to_ascii_lowercase();
                    name != "localhost" && !name.ends_with(".localhost")
                }
            }
    }

    /// Posts one message to the webhook and waits for the receiver to accept it. A redirect is a
    /// failed delivery.
    pub async fn post(&self, url: &str, body: &serde_json::Value) -> Result<(), DeliveryError> {
        self.send(url, body.to_string().into_bytes(), &[]).await
    }

    /// Posts a JSON body exactly as given (a signature covers these bytes), with extra headers.
    pub async fn send(&self, url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> Result<(), DeliveryError> {
        let result = self.deliver(url, body, headers).await;
        let outcome = if result.is_ok() { "delivered" } else { "failed" };
        metrics::counter!(super::metrics::DELIVERIES, "result" => outcome).increment(1);
        result
    }

    /// Whether an address as typed may be sent to (internal ones only when the operator allows).
    pub fn allows_address(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| self.allows(&u))
    }

    async fn deliver(&self, url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> Result<(), DeliveryError> {
        let url = Url::parse(url).map_err(|_| DeliveryError::BadAddress)?;
        if !self.allows(&url) {
            return Err(DeliveryError::Internal);
        }
        let mut req = self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) if r.status().is_redirection() => Err(DeliveryError::Redirected(r.status().as_u16())),
            Ok(r) => Err(DeliveryError::Refused(r.status().as_u16())),
            Err(e) => Err(DeliveryError::from(e.without_url())),
        }
    }
}

/// Why a delivery failed, in words that never include the address.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the webhook address is not a valid URL")]
    BadAddress,
    #[error(
        "the webhook address is internal (loopback, private or link-local), and private addresses are not allowed"
    )]
    Internal,
    #[error("the webhook answered with a redirect ({0}), which is not followed")]
    Redirected(u16),
    #[error("the webhook refused the message ({0})")]
    Refused(u16),
    #[error("the webhook did not answer in time")]
    Timeout,
    #[error("the webhook is unreachable ({0})")]
    Unreachable(String),
}

impl From<reqwest::Error> for DeliveryError {
    fn from(e: reqwest::Error) -> Self {
        // Only kinds: the causes' own texts could name the address.
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
        while let Some(c) = cause {
            if c.is::<InternalAddress>() {
                return DeliveryError::Internal;
            }
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                return DeliveryError::Unreachable(io.kind().to_string());
            }
            cause = c.source();
        }
        if e.is_timeout() {
            DeliveryError::Timeout
        } else if e.is_connect() {
            DeliveryError::Unreachable("could not connect".into())
        } else {
            DeliveryError::Unreachable("the request failed".into())
        }
    }
}

/// Loopback, private, link-local, carrier-grade NAT, unspecified, broadcast, multicast and reserved
/// addresses, also written as IPv6 (IPv4-mapped, IPv4-compatible, NAT64).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_internal_v4(ip),
        IpAddr::V6(ip) => {
            let s = ip.segments();
            let embedded = Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32);
            ip.to_ipv4_mapped().is_some_and(is_internal_v4)
                || s[..6] == [0; 6] // ::/96: unspecified, loopback and IPv4-compatible
                || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && is_internal_v4(embedded))
                || ip.is_multicast()
                || s[0] & 0xffc0 == 0xfe80 // link-local fe80::/10
                || s[0] & 0xffc0 == 0xfec0 // site-local fec0::/10 (deprecated)
                || s[0] & 0xfe00 == 0xfc00 // unique local fc00::/7
        }
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && b & 0xc0 == 64) // carrier-grade NAT 100.64.0.0/10
        || a >= 240 // reserved
}

/// The name resolved only to internal addresses.
#[derive(Debug, thiserror::Error)]
#[error("the name resolves only to internal addresses")]
struct InternalAddress;

/// Looks names up as the system does, then keeps only public addresses: a name that points (or is
/// re-pointed, as in DNS rebinding) at an internal address is never connected to.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public = public_only(found);
            if public.is_empty() {
                return Err(Box::new(InternalAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

fn public_only(addrs: impl IntoIterator<Item = SocketAddr>) -> Vec<SocketAddr> {
    addrs.into_iter().filter(|a| !is_internal(a.ip())).collect()
}

pub async fn settings(pool: &PgPool) -> AppResult<Settings> {
    Ok(Settings {
        webhook_url: db::postmortems::setting(pool, WEBHOOK_URL).await?.unwrap_or_default(),
        public_url: db::postmortems::setting(pool, PUBLIC_URL).await?.unwrap_or_else(|| DEFAULT_PUBLIC_URL.into()),
    })
}

/// The settings as the admin's Settings page and the API show them.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn settings_for(pool: &PgPool, user: &crate::domain::User) -> AppResult<Settings> {
    super::access::require_admin(user)?;
    settings(pool).await
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn save_settings(
    pool: &PgPool,
    outbound: &Outbound,
    user: &crate::domain::User,
    s: &Settings,
) -> AppResult<Settings> {
    super::access::require_admin(user)?;
    let webhook = check_url("webhook_url", &s.webhook_url, true).and_then(|url| {
        if url.is_empty() || outbound.allows_address(&url) {
            Ok(url)
        } else {
            Err(AppError::invalid("webhook_url", INTERNAL_MESSAGE))
        }
    });
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
    let before = settings(pool).await?;
    let mut tx = pool.begin().await?;
    db::postmortems::set_setting(&mut *tx, WEBHOOK_URL, &webhook).await?;
    db::postmortems::set_setting(&mut *tx, PUBLIC_URL, &public).await?;
    // The webhook URL is a secret (whoever has it can post to the channel): only whether it changed.
    let mut diff = serde_json::Map::new();
    if before.webhook_url != webhook {
        diff.insert(WEBHOOK_URL.into(), serde_json::json!({ "changed": true, "set": !webhook.is_empty() }));
    }
    if before.public_url != public {
        diff.insert(PUBLIC_URL.into(), serde_json::json!({ "from": before.public_url, "to": public }));
    }
    if !diff.is_empty() {
        let object = super::audit::Object::setting("notifications");
        let action = crate::domain::accounts::AuditAction::SettingsChanged;
        super::audit::record(&mut *tx, user, action, object, Some(diff.into())).await?;
    }
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
#[tracing::instrument(skip_all, fields(incident = incident.id, revision))]
pub async fn announce(pool: &PgPool, outbound: &Outbound, incident: &Incident, pm: &Postmortem, revision: i32) {
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
    let outbound = outbound.clone();
    tokio::spawn(async move { deliver(&outbound, &s.webhook_url, &body, &reference).await });
}

/// Posts the announcement and logs how it went, never where it went.
async fn deliver(outbound: &Outbound, url: &str, body: &serde_json::Value, reference: &str) {
    match outbound.post(url, body).await {
        Ok(()) => tracing::info!(incident = %reference, "publication announced"),
        Err(e) => tracing::warn!(incident = %reference, error = %e, "webhook did not take the announcement"),
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
            source: None,
            detected_at: None,
            declined_at: None,
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
        assert!(check_url("u", "http://", false).is_err(), "no host");
    }

    #[test]
    fn internal_addresses_are_told_from_public_ones() {
        let internal = [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ];
        for ip in internal {
            assert!(is_internal(ip.parse().unwrap()), "{ip} is internal");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ];
        for ip in public {
            assert!(!is_internal(ip.parse().unwrap()), "{ip} is public");
        }
    }

    fn allows(outbound: &Outbound, url: &str) -> bool {
        outbound.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn internal_addresses_as_written_are_refused_unless_allowed() {
        let strict = Outbound::new(false).unwrap();
        for url in [
            "http://127.0.0.1/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://localhost/hook",
            "http://LOCALHOST./hook",
            "http://api.localhost/hook",
            "http://2130706433/hook",
            "http://0x7f.1/hook",
            "http://10.0.0.1:8080/hook",
        ] {
            assert!(!allows(&strict, url), "{url} refused");
        }
        assert!(allows(&strict, "https://hooks.slack.com/services/T0/B0/x"));
        assert!(allows(&strict, "http://93.184.216.34/hook"));
        let open = Outbound::new(true).unwrap();
        assert!(allows(&open, "http://127.0.0.1/hook") && allows(&open, "http://localhost/hook"));
    }

    #[test]
    fn the_resolver_keeps_only_public_addresses() {
        let addrs = ["127.0.0.1:0", "10.0.0.1:0", "8.8.8.8:0", "[::1]:0", "[fe80::1]:0", "[2606:4700::1111]:0"]
            .map(|a| a.parse::<SocketAddr>().unwrap());
        assert_eq!(public_only(addrs), [addrs[2], addrs[5]]);
        assert!(public_only(["169.254.169.254:80".parse().unwrap()]).is_empty());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused() {
        // `localhost` resolves to loopback from the hosts file, as a rebound name would from DNS.
        let refused = PublicOnly.resolve("localhost".parse().unwrap()).await;
        assert!(refused.err().is_some_and(|e| e.is::<InternalAddress>()));
        // And the client asks it: past the check of the address as written, it still never connects.
        let strict = Outbound::new(false).unwrap();
        let e = strict.client.post("http://localhost:9/hook").send().await.unwrap_err();
        assert_eq!(DeliveryError::from(e.without_url()), DeliveryError::Internal);
    }

    /// Log lines written while a test runs on this thread.
    #[derive(Clone, Default)]
    struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Logs {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_delivery_never_shows_the_address() {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let body = serde_json::json!({"text": "hi"});
        // Nothing listens on port 9 (discard); then a name and an address refused before connecting.
        let cases = [
            (Outbound::new(true).unwrap(), "http://127.0.0.1:9/services/T0/B0/S3CRET-TOKEN"),
            (Outbound::new(false).unwrap(), "http://localhost:9/services/T0/B0/S3CRET-TOKEN"),
            (Outbound::new(false).unwrap(), "http://127.0.0.1:9/services/T0/B0/S3CRET-TOKEN"),
        ];
        for (outbound, url) in &cases {
            let e = outbound.post(url, &body).await.unwrap_err();
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains("S3CRET") && !text.contains("/services"), "{text}");
            }
            deliver(outbound, url, &body, "INC-7").await;
        }
        assert_eq!(cases[1].0.post(cases[1].1, &body).await, Err(DeliveryError::Internal), "refused after the lookup");
        assert_eq!(cases[2].0.post(cases[2].1, &body).await, Err(DeliveryError::Internal));
        let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert_eq!(logged.matches("webhook did not take the announcement").count(), 3, "{logged}");
        assert!(!logged.contains("S3CRET") && !logged.contains("/services"), "{logged}");
    }
}
