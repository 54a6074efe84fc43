//! Notifications to destinations (Slack-compatible webhooks, Teams workflows, signed JSON) through
//! an outbox: each notification is written in the transaction of the change it tells about, and a
//! worker on every instance sends it, retrying with backoff for a day. Instances share the work
//! with `FOR UPDATE SKIP LOCKED`, and each notification carries an idempotency key, so a receiver
//! that sees a retry can tell it from a new message.
//!
//! Private incidents are never told, and one made private before its notification went out is not
//! sent. Addresses and signing secrets never reach a log line or an answer.

use super::access::require_admin;
use super::audit::{self, Object};
use super::db;
use super::webhook::{Outbound, DEFAULT_PUBLIC_URL, INTERNAL_MESSAGE, PUBLIC_URL};
use crate::domain::accounts::AuditAction;
use crate::domain::notify::{
    self, Delivery, Destination, DestinationInput, DestinationKind, DestinationPatch, NewDestination, Notice,
    NoticeIncident, NotifyEvent,
};
use crate::domain::paging::Page;
use crate::domain::{Incident, User};
use crate::error::{internal, AppError, AppResult};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// Header names of every delivery; the signature headers only for signed JSON.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
pub const TIMESTAMP_HEADER: &str = "Debrief-Timestamp";
pub const SIGNATURE_HEADER: &str = "Debrief-Signature";

/// `v1=` and the hex HMAC-SHA256, keyed with the destination's secret, of `{timestamp}.{body}`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn create(
    pool: &PgPool,
    outbound: &Outbound,
    user: &User,
    input: &DestinationInput,
) -> AppResult<NewDestination> {
    require_admin(user)?;
    let email = input.kind.trim() == DestinationKind::Email.as_str();
    let refused = if email && outbound.mail().is_none() {
        Some(format!("Email destinations need {NO_MAIL}: the operator sets DEBRIEF_SMTP_HOST and DEBRIEF_SMTP_FROM"))
    } else if !email && notify::web_address(&input.url).is_ok_and(|url| !outbound.allows_address(&url)) {
        Some(INTERNAL_MESSAGE.to_string())
    } else {
        None
    };
    let spec = match (input.check(), refused) {
        (Ok(spec), None) => spec,
        (Ok(_), Some(why)) => return Err(AppError::invalid("url", why)),
        (Err(mut errs), why) => {
            if let Some(why) = why {
                errs.insert("url".into(), why);
            }
            return Err(AppError::fields(errs));
        }
    };
    let secret =
        (spec.kind == DestinationKind::SignedJson).then(|| super::accounts::new_secret().replacen("dbf_", "whsec_", 1));
    let mut tx = pool.begin().await?;
    let id = db::outbox::insert(&mut *tx, &spec, secret.as_deref(), user.id).await?;
    // Never the address: whoever has a Slack webhook's address can post to the channel.
    let change = serde_json::json!({ "kind": spec.kind, "events": spec.events, "min_severity": spec.min_severity });
    audit::record(&mut *tx, user, AuditAction::DestinationCreated, Object::destination(id, &spec.name), Some(change))
        .await?;
    let destination = db::outbox::by_id(&mut *tx, id).await?.ok_or_else(|| internal("the new destination vanished"))?;
    tx.commit().await?;
    Ok(NewDestination { destination, secret })
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn list(pool: &PgPool, user: &User) -> AppResult<Vec<Destination>> {
    require_admin(user)?;
    db::outbox::list(pool).await
}

fn missing(id: i64) -> AppError {
    AppError::NotFound(format!("No destination {id}"))
}

/// Removes a destination: nothing more is sent to it, and what still waited is given up.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn remove(pool: &PgPool, user: &User, id: i64) -> AppResult<Destination> {
    require_admin(user)?;
    let mut tx = pool.begin().await?;
    let found = db::outbox::by_id(&mut *tx, id).await?.ok_or_else(|| missing(id))?;
    if db::outbox::remove(&mut *tx, id).await? {
        audit::record(&mut *tx, user, AuditAction::DestinationRemoved, Object::destination(id, &found.name), None)
            .await?;
    }
    let after = db::outbox::by_id(&mut *tx, id).await?.ok_or_else(|| missing(id))?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a destination's name, events or minimum severity; what is already queued is sent as it was.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn update(pool: &PgPool, user: &User, id: i64, patch: &DestinationPatch) -> AppResult<Destination> {
    require_admin(user)?;
    let mut tx = pool.begin().await?;
    let before = db::outbox::by_id(&mut *tx, id).await?.ok_or_else(|| missing(id))?;
    if before.removed_at.is_some() {
        return Err(AppError::invalid("destination", "This destination was removed: add it again to change it"));
    }
    let (name, events, min_severity) = patch.apply(&before).map_err(AppError::fields)?;
    if (&name, &events, min_severity) != (&before.name, &before.events, before.min_severity) {
        db::outbox::update(&mut *tx, id, &name, &events, min_severity).await?;
        let change = serde_json::json!({
            "name": { "from": before.name, "to": name },
            "events": { "from": before.events, "to": events },
            "min_severity": { "from": before.min_severity, "to": min_severity },
        });
        audit::record(&mut *tx, user, AuditAction::DestinationChanged, Object::destination(id, &name), Some(change))
            .await?;
    }
    let after = db::outbox::by_id(&mut *tx, id).await?.ok_or_else(|| missing(id))?;
    tx.commit().await?;
    Ok(after)
}

/// A destination's recent notifications, newest first, a page at a time.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn deliveries(
    pool: &PgPool,
    user: &User,
    id: i64,
    cursor: &Option<String>,
    limit: &Option<String>,
) -> AppResult<Page<Delivery>> {
    require_admin(user)?;
    let (before, limit) = super::accounts::id_cursor(cursor, limit)?;
    let mut conn = pool.acquire().await?;
    db::outbox::by_id(&mut *conn, id).await?.ok_or_else(|| missing(id))?;
    let (rows, total) = db::outbox::deliveries(&mut conn, id, before, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, total, |d| d.id.to_string()))
}

/// Queues a test message to one destination, whatever its rules; it goes out like any other.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn send_test(pool: &PgPool, user: &User, id: i64) -> AppResult<Delivery> {
    require_admin(user)?;
    let mut tx = pool.begin().await?;
    let destination = db::outbox::by_id(&mut *tx, id).await?.ok_or_else(|| missing(id))?;
    if destination.removed_at.is_some() {
        return Err(AppError::invalid("destination", "This destination was removed: add it again to send to it"));
    }
    let notice = Notice {
        event: NotifyEvent::Test,
        headline: format!("Test message from Debrief to \u{201c}{}\u{201d}", destination.name),
        detail: format!("{} sent this from Settings \u{2192} Notifications. If you can read it, it works.", user.name),
        incident: None,
        link: format!("{}/settings/notifications", public_url(&mut tx).await?),
        actor: Some(user.name.clone()),
        occurred_at: Utc::now(),
    };
    let body = serde_json::to_value(&notice).map_err(internal)?;
    let queued = db::outbox::enqueue(&mut *tx, id, NotifyEvent::Test, None, &body).await?;
    db::outbox::wake(&mut *tx).await?;
    let delivery = db::outbox::delivery(&mut *tx, queued).await?.ok_or_else(|| internal("the test vanished"))?;
    tx.commit().await?;
    Ok(delivery)
}

async fn public_url(tx: &mut PgConnection) -> AppResult<String> {
    let url = db::postmortems::setting(&mut *tx, PUBLIC_URL).await?;
    Ok(url.unwrap_or_else(|| DEFAULT_PUBLIC_URL.into()).trim_end_matches('/').to_string())
}

/// What a change says to the destinations: `what` follows the incident's reference and title
/// ("INC-7 Checkout down: now SEV1 (was SEV3)"); `detail` is text a person wrote, if any.
pub struct Told<'a> {
    pub event: NotifyEvent,
    pub what: String,
    pub detail: String,
    /// The page to link to, when not the incident's own.
    pub path: Option<String>,
    pub actor: &'a User,
}

/// Queues each of `told` for every destination whose rules want it, in the caller's transaction, so
/// the notification exists exactly when the change does. A private incident is told to no one.
pub(super) async fn tell<'a>(
    tx: &mut PgConnection,
    incident: &Incident,
    told: impl IntoIterator<Item = Told<'a>>,
) -> AppResult<()> {
    let told: Vec<Told> = told.into_iter().collect();
    if incident.private || told.is_empty() {
        return Ok(());
    }
    let active = db::outbox::active(&mut *tx).await?;
    if active.is_empty() {
        return Ok(());
    }
    let base = public_url(tx).await?;
    let mut queued = false;
    for t in told {
        let wanting: Vec<&Destination> = active.iter().filter(|d| d.wants(t.event, Some(incident.severity))).collect();
        if wanting.is_empty() {
            continue;
        }
        let path = t.path.as_deref().unwrap_or(&incident.url);
        let notice = Notice {
            event: t.event,
            headline: format!("{} {}: {}", incident.reference, incident.title, t.what),
            detail: t.detail,
            incident: Some(NoticeIncident {
                id: incident.id,
                reference: incident.reference.clone(),
                title: incident.title.clone(),
                severity: incident.severity,
                status: incident.status,
                services: incident.services.clone(),
            }),
            link: format!("{base}{path}"),
            actor: Some(t.actor.name.clone()),
            occurred_at: Utc::now(),
        };
        queue(tx, &wanting, &notice, Some(incident.id)).await?;
        queued = true;
    }
    if queued {
        db::outbox::wake(&mut *tx).await?;
    }
    Ok(())
}

/// Queues a notice about no one incident (the daily digest) for every destination that wants
/// `event`, in the caller's transaction. Only what every destination may read belongs in it.
pub(super) async fn tell_everyone(
    tx: &mut PgConnection,
    event: NotifyEvent,
    headline: String,
    detail: String,
    path: &str,
) -> AppResult<()> {
    let active = db::outbox::active(&mut *tx).await?;
    let wanting: Vec<&Destination> = active.iter().filter(|d| d.wants(event, None)).collect();
    if wanting.is_empty() {
        return Ok(());
    }
    let link = format!("{}{path}", public_url(tx).await?);
    let notice = Notice { event, headline, detail, incident: None, link, actor: None, occurred_at: Utc::now() };
    queue(tx, &wanting, &notice, None).await?;
    db::outbox::wake(&mut *tx).await
}

/// One row per destination for `notice`; the caller wakes the workers once.
async fn queue(tx: &mut PgConnection, to: &[&Destination], notice: &Notice, incident: Option<i64>) -> AppResult<()> {
    let body = serde_json::to_value(notice).map_err(internal)?;
    for d in to {
        db::outbox::enqueue(&mut *tx, d.id, notice.event, incident, &body).await?;
    }
    Ok(())
}

/// How many notifications one worker claims at a time, and how long it holds them while sending
/// (well over the client's 10 s timeout).
const BATCH: i64 = 20;
const LEASE_S: f64 = 120.0;

/// When to try again after `attempts` failed attempts: the backoff, but never past a day after the
/// notification was written (one last attempt then); none once the day is over.
pub fn next_attempt(
    created_at: DateTime<Utc>,
    attempts: i32,
    base: Duration,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let deadline = created_at + chrono::Duration::hours(notify::GIVE_UP_AFTER_HOURS);
    if now >= deadline {
        return None;
    }
    let delay = chrono::Duration::from_std(notify::retry_delay(attempts.saturating_sub(1), base)).ok()?;
    Some((now + delay).min(deadline))
}

enum Outcome {
    Delivered,
    Failed(String),
    /// Never to be sent (private now, or a stored row that no longer reads).
    Dropped(String),
}

/// Extra headers of a request, by name.
type Headers = Vec<(&'static str, String)>;

/// The HTTP request a notification makes: its body and headers, for the destination's kind.
fn request(
    due: &db::outbox::Due,
    kind: DestinationKind,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, Headers), String> {
    let body = match kind {
        DestinationKind::Slack => notify::slack_message(notice),
        DestinationKind::Teams => notify::teams_message(notice),
        DestinationKind::SignedJson | DestinationKind::Email => notify::json_message(notice, &due.idempotency_key),
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| format!("outbox {}: {e}", due.id))?;
    let mut headers = vec![(IDEMPOTENCY_HEADER, due.idempotency_key.clone())];
    if kind == DestinationKind::SignedJson {
        let secret =
            due.secret.as_deref().ok_or_else(|| format!("outbox {}: the destination has no secret", due.id))?;
        let ts = now.timestamp();
        headers.push((SIGNATURE_HEADER, signature(secret, ts, &bytes)));
        headers.push((TIMESTAMP_HEADER, ts.to_string()));
    }
    Ok((bytes, headers))
}

/// What a queued row says, read back: where it goes and what it is.
enum Queued {
    Destination { kind: DestinationKind, url: String, notice: Notice },
    Person { address: String, mail: notify::PersonalMail },
}

fn read(due: &db::outbox::Due) -> Result<Queued, String> {
    let row = format!("outbox {}", due.id);
    if let Some(address) = &due.recipient {
        let mail = serde_json::from_value(due.body.clone()).map_err(|e| format!("{row}: body: {e}"))?;
        return Ok(Queued::Person { address: address.clone(), mail });
    }
    let (Some(kind), Some(url)) = (&due.kind, &due.url) else {
        return Err(format!("{row}: neither a destination nor a person"));
    };
    let kind = db::stored(kind, &row, "kind").map_err(|e| e.to_string())?;
    let notice = serde_json::from_value(due.body.clone()).map_err(|e| format!("{row}: body: {e}"))?;
    Ok(Queued::Destination { kind, url: url.clone(), notice })
}

const NO_MAIL: &str = "mail is not set up on this server (DEBRIEF_SMTP_HOST)";

async fn attempt(outbound: &Outbound, due: &db::outbox::Due) -> Outcome {
    if due.now_private {
        return Outcome::Dropped("the incident was made private before this was sent".into());
    }
    let queued = match read(due) {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(outbox = due.id, error = %e, "a queued notification cannot be read; dropped");
            return Outcome::Dropped(e);
        }
    };
    let sent = match queued {
        Queued::Person { address, mail } => match outbound.mail() {
            Some(m) => m.send(&address, &mail.mail, Some(&mail.unsubscribe)).await,
            None => Err(NO_MAIL.into()),
        },
        Queued::Destination { kind: DestinationKind::Email, url, notice } => match outbound.mail() {
            Some(m) => m.send(url.trim_start_matches("mailto:"), &notify::email_message(&notice), None).await,
            None => Err(NO_MAIL.into()),
        },
        Queued::Destination { kind, url, notice } => match request(due, kind, &notice, Utc::now()) {
            Err(e) => return Outcome::Dropped(e),
            Ok((body, headers)) => outbound.send(&url, body, &headers).await.map_err(|e| e.to_string()),
        },
    };
    match sent {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Failed(e),
    }
}

async fn deliver(pool: &PgPool, outbound: &Outbound, due: db::outbox::Due, retry_base: Duration) {
    let written = match attempt(outbound, &due).await {
        Outcome::Delivered => db::outbox::delivered(pool, due.id).await,
        Outcome::Dropped(why) => db::outbox::failed(pool, due.id, &why, None).await,
        Outcome::Failed(why) => {
            let retry = next_attempt(due.created_at, due.attempts, retry_base, Utc::now());
            tracing::warn!(outbox = due.id, attempts = due.attempts, error = %why, gave_up = retry.is_none(),
                "a destination did not take a notification");
            db::outbox::failed(pool, due.id, &why, retry).await
        }
    };
    // Unrecorded, the lease runs out and it is sent again, with the same idempotency key.
    if let Err(e) = written {
        tracing::warn!(outbox = due.id, error = %e, "could not record a delivery attempt");
    }
}

/// Claims what is due and sends it, all at once; how many were claimed.
pub async fn deliver_due(pool: &PgPool, outbound: &Outbound, retry_base: Duration) -> AppResult<usize> {
    let due = db::outbox::claim_due(pool, BATCH, LEASE_S).await?;
    let n = due.len();
    futures::future::join_all(due.into_iter().map(|d| deliver(pool, outbound, d, retry_base))).await;
    Ok(n)
}

/// The worker every instance runs: sends what is due, then waits for a new notification (NOTIFY) or
/// `poll`, whichever comes first (retries fall due without a NOTIFY). A database outage only delays.
pub async fn run(pool: PgPool, outbound: Outbound, retry_base: Duration, poll: Duration) {
    let mut listener = None;
    loop {
        loop {
            match deliver_due(&pool, &outbound, retry_base).await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "the outbox could not be read; will retry");
                    break;
                }
            }
        }
        if listener.is_none() {
            listener = db::outbox::listener(&pool).await.inspect_err(|e| tracing::debug!(error = %e)).ok();
        }
        match listener.as_mut() {
            Some(l) => {
                if let Ok(Err(e)) = tokio::time::timeout(poll, l.recv()).await {
                    tracing::debug!(error = %e, "the outbox listener was lost; reconnecting");
                    listener = None;
                }
            }
            None => tokio::time::sleep(poll).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn signature_matches_the_documented_vector() {
        // The README's example: a receiver computes the same from the secret, header and body.
        assert_eq!(
            signature("whsec_test", 1764756000, br#"{"event":"test"}"#),
            "v1=1bb861493d0785733f100912659d75f8f334f9af491a88ca62ade32b5b0f7592"
        );
        assert_ne!(
            signature("whsec_other", 1764756000, br#"{"event":"test"}"#),
            signature("whsec_test", 1764756000, br#"{"event":"test"}"#)
        );
    }

    #[test]
    fn retries_back_off_and_stop_after_a_day() {
        let created = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let base = Duration::from_secs(30);
        let at = |mins: i64| created + chrono::Duration::minutes(mins);
        assert_eq!(next_attempt(created, 1, base, created), Some(created + chrono::Duration::seconds(30)));
        assert_eq!(next_attempt(created, 2, base, created), Some(created + chrono::Duration::seconds(60)));
        assert_eq!(next_attempt(created, 30, base, at(60)), Some(at(120)), "at most an hour apart");
        assert_eq!(
            next_attempt(created, 30, base, at(23 * 60 + 30)),
            Some(at(24 * 60)),
            "one last try at the day's end"
        );
        assert_eq!(next_attempt(created, 31, base, at(24 * 60)), None);
    }
}
