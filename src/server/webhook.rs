//! How notifications leave (`Outbound`), and the setting that says where Debrief itself is.
//!
//! Destinations' addresses are set by admins, so they must not become a way into the network Debrief runs in:
//! unless the operator allows it, nothing is sent to an internal address (checked when the address
//! is saved and again after every DNS lookup), and redirects are never followed. The address is a
//! secret (Slack's carries its token), so it is never logged.

use super::db;
use crate::error::{AppError, AppResult};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub const PUBLIC_URL: &str = "public_url";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// Debrief's own address, for links in messages.
    pub public_url: String,
    /// Whether `/status` may be read without signing in.
    pub status_page_public: bool,
}

/// The settings as typed. `webhook_url` was where publications went; it is refused with a pointer
/// to destinations rather than silently ignored.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SettingsInput {
    #[serde(default)]
    pub public_url: String,
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Unchanged when absent.
    #[serde(default)]
    pub status_page_public: Option<bool>,
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
    /// Mail, when the operator set up an SMTP server.
    mail: Option<super::mail::Mailer>,
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
        Ok(Outbound { client, allow_private, mail: None })
    }

    /// The same, also sending mail through `mailer`.
    pub fn with_mail(self, mailer: Option<super::mail::Mailer>) -> Self {
        Outbound { mail: mailer, ..self }
    }

    pub fn mail(&self) -> Option<&super::mail::Mailer> {
        self.mail.as_ref()
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
        public_url: db::postmortems::setting(pool, PUBLIC_URL).await?.unwrap_or_else(|| DEFAULT_PUBLIC_URL.into()),
        status_page_public: super::status::is_public(pool).await?,
    })
}

/// The settings as the admin's Settings page and the API show them.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn settings_for(pool: &PgPool, user: &crate::domain::User) -> AppResult<Settings> {
    super::access::require_admin(user)?;
    settings(pool).await
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn save_settings(pool: &PgPool, user: &crate::domain::User, s: &SettingsInput) -> AppResult<Settings> {
    super::access::require_admin(user)?;
    let mut errs = crate::domain::validate::FieldErrors::new();
    if s.webhook_url.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        errs.insert(
            "webhook_url".into(),
            "The publication webhook is now a destination: add it under Settings \u{2192} Notifications \
             (POST /api/v1/destinations)"
                .into(),
        );
    }
    let public = check_url("public_url", &s.public_url, false);
    if let Err(AppError::Invalid { fields, .. }) = &public {
        errs.extend(fields.clone());
    }
    let public = match public {
        Ok(p) if errs.is_empty() => p,
        Ok(_) | Err(AppError::Invalid { .. }) => return Err(AppError::fields(errs)),
        Err(e) => return Err(e),
    };
    let before = settings(pool).await?;
    let mut tx = pool.begin().await?;
    if before.public_url != public {
        db::postmortems::set_setting(&mut *tx, PUBLIC_URL, &public).await?;
        let object = super::audit::Object::setting(PUBLIC_URL);
        let action = crate::domain::accounts::AuditAction::SettingsChanged;
        let change = super::audit::change(PUBLIC_URL, &before.public_url, &public);
        super::audit::record(&mut *tx, user, action, object, Some(change)).await?;
    }
    if let Some(p) = s.status_page_public {
        super::status::set_public_on(&mut tx, user, p).await?;
    }
    tx.commit().await?;
    settings(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn a_failed_delivery_never_shows_the_address() {
        let body = serde_json::json!({"text": "hi"});
        // Nothing listens on port 9 (discard); then a name and an address refused before connecting.
        let cases = [
            (Outbound::new(true).unwrap(), "http://127.0.0.1:9/services/T0/B0/S3CRET-TOKEN"),
            (Outbound::new(false).unwrap(), "http://localhost:9/services/T0/B0/S3CRET-TOKEN"),
            (Outbound::new(false).unwrap(), "http://127.0.0.1:9/services/T0/B0/S3CRET-TOKEN"),
        ];
        // What is logged and stored of a failure is its Display; neither form names the address.
        for (outbound, url) in &cases {
            let e = outbound.post(url, &body).await.unwrap_err();
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains("S3CRET") && !text.contains("/services"), "{text}");
            }
        }
        assert_eq!(cases[1].0.post(cases[1].1, &body).await, Err(DeliveryError::Internal), "refused after the lookup");
        assert_eq!(cases[2].0.post(cases[2].1, &body).await, Err(DeliveryError::Internal));
    }
}
