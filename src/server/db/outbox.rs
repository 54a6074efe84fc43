//! Destinations and the outbox of notifications waiting for them.

use super::stored;
use crate::domain::notify::{Delivery, DeliveryState, Destination, DestinationSpec, NotifyEvent};
use crate::domain::UserRef;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct DestinationRecord {
    id: i64,
    kind: String,
    name: String,
    url: String,
    events: Vec<String>,
    min_severity: String,
    created_by: i64,
    created_by_name: String,
    created_at: DateTime<Utc>,
    removed_at: Option<DateTime<Utc>>,
}

impl TryFrom<DestinationRecord> for Destination {
    type Error = crate::error::AppError;

    fn try_from(r: DestinationRecord) -> AppResult<Self> {
        let row = format!("destination {}", r.id);
        let events = r.events.iter().map(|e| stored(e, &row, "events")).collect::<AppResult<Vec<NotifyEvent>>>()?;
        Ok(Destination {
            kind: stored(&r.kind, &row, "kind")?,
            min_severity: stored(&r.min_severity, &row, "min_severity")?,
            // A mailing list's address is not a secret; a webhook's is, so only its host.
            host: match r.url.strip_prefix("mailto:") {
                Some(address) => address.to_string(),
                None => reqwest::Url::parse(&r.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .ok_or_else(|| crate::error::internal(format!("{row}: the stored url is not an address")))?,
            },
            events,
            id: r.id,
            name: r.name,
            created_by: UserRef { id: r.created_by, name: r.created_by_name },
            created_at: r.created_at,
            removed_at: r.removed_at,
        })
    }
}

const SELECT: &str = "SELECT d.id, d.kind, d.name, d.url, d.events, d.min_severity, d.created_by,
                             u.name AS created_by_name, d.created_at, d.removed_at
                      FROM destinations d JOIN users u ON u.id = d.created_by";

pub async fn insert(
    db: impl PgExecutor<'_>,
    spec: &DestinationSpec,
    secret: Option<&str>,
    created_by: i64,
) -> AppResult<i64> {
    let events: Vec<&str> = spec.events.iter().map(|e| e.as_str()).collect();
    Ok(sqlx::query_scalar(
        "INSERT INTO destinations (kind, name, url, secret, events, min_severity, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(spec.kind.as_str())
    .bind(&spec.name)
    .bind(&spec.url)
    .bind(secret)
    .bind(&events)
    .bind(spec.min_severity.as_str())
    .bind(created_by)
    .fetch_one(db)
    .await?)
}

/// Every destination, the working ones first, then newest first.
pub async fn list(db: impl PgExecutor<'_>) -> AppResult<Vec<Destination>> {
    let q = format!("{SELECT} ORDER BY d.removed_at IS NOT NULL, d.id DESC LIMIT 500");
    sqlx::query_as::<_, DestinationRecord>(&q).fetch_all(db).await?.into_iter().map(Destination::try_from).collect()
}

/// The destinations still in use, whose rules decide who hears of a change.
pub async fn active(db: impl PgExecutor<'_>) -> AppResult<Vec<Destination>> {
    let q = format!("{SELECT} WHERE d.removed_at IS NULL ORDER BY d.id");
    sqlx::query_as::<_, DestinationRecord>(&q).fetch_all(db).await?.into_iter().map(Destination::try_from).collect()
}

pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Destination>> {
    let q = format!("{SELECT} WHERE d.id = $1");
    sqlx::query_as::<_, DestinationRecord>(&q).bind(id).fetch_optional(db).await?.map(Destination::try_from).transpose()
}

pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    name: &str,
    events: &[NotifyEvent],
    min_severity: crate::domain::Severity,
) -> AppResult<()> {
    let events: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    sqlx::query("UPDATE destinations SET name = $2, events = $3, min_severity = $4 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(&events)
        .bind(min_severity.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// Removes it and gives up what still waits for it; false when it already was removed.
pub async fn remove(db: impl PgExecutor<'_>, id: i64) -> AppResult<bool> {
    let removed: i64 = sqlx::query_scalar(
        "WITH d AS (UPDATE destinations SET removed_at = now() WHERE id = $1 AND removed_at IS NULL RETURNING id),
              o AS (UPDATE outbox SET given_up_at = now(), last_error = 'the destination was removed'
                    WHERE destination_id IN (SELECT id FROM d) AND delivered_at IS NULL AND given_up_at IS NULL)
         SELECT count(*) FROM d",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(removed == 1)
}

/// Queues a notice for a destination, due now; returns the row's id.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    destination_id: i64,
    event: NotifyEvent,
    incident_id: Option<i64>,
    body: &serde_json::Value,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (destination_id, event, incident_id, body) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(destination_id)
    .bind(event.as_str())
    .bind(incident_id)
    .bind(body)
    .fetch_one(db)
    .await?)
}

/// The channel the workers listen on; told when a transaction queued something.
pub const CHANNEL: &str = "debrief_outbox";

/// Wakes the workers when the transaction commits (a NOTIFY is sent only then).
pub async fn wake(db: impl PgExecutor<'_>) -> AppResult<()> {
    sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(db).await?;
    Ok(())
}

/// A notification claimed for sending, with where it goes: a destination (`kind`, `url`, `secret`)
/// or a person (`recipient`, their address, and `mail_token` for the unsubscribe link).
#[derive(Debug, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub event: String,
    pub idempotency_key: String,
    pub body: serde_json::Value,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub kind: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub recipient: Option<String>,
    /// The incident it is about has since been made private: it is not sent.
    pub now_private: bool,
}

/// Claims up to `limit` due notifications: each is leased for `lease_s` seconds (its next attempt
/// is pushed back and counted now), so another instance skips it while this one sends, and a worker
/// that dies mid-send leaves it to be tried again when the lease ends.
pub async fn claim_due(db: impl PgExecutor<'_>, limit: i64, lease_s: f64) -> AppResult<Vec<Due>> {
    Ok(sqlx::query_as::<_, Due>(
        "WITH due AS (
             SELECT o.id FROM outbox o
             WHERE o.delivered_at IS NULL AND o.given_up_at IS NULL AND o.next_attempt_at <= now()
             ORDER BY o.next_attempt_at, o.id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         ),
         claimed AS (
             UPDATE outbox o
             SET attempts = o.attempts + 1, last_attempt_at = now(),
                 next_attempt_at = now() + make_interval(secs => $2)
             FROM due WHERE o.id = due.id
             RETURNING o.*
         )
         SELECT c.id, c.event, c.idempotency_key::text AS idempotency_key, c.body, c.attempts, c.created_at,
                d.kind, d.url, d.secret, r.email AS recipient, COALESCE(i.private, false) AS now_private
         FROM claimed c
         LEFT JOIN destinations d ON d.id = c.destination_id
         LEFT JOIN users r ON r.id = c.recipient_id
         LEFT JOIN incidents i ON i.id = c.incident_id
         ORDER BY c.id",
    )
    .bind(limit)
    .bind(lease_s)
    .fetch_all(db)
    .await?)
}

pub async fn delivered(db: impl PgExecutor<'_>, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE outbox SET delivered_at = now(), last_error = NULL WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

/// Records a failed attempt: tried again at `retry_at`, or given up when there is none. One given up
/// meanwhile (its destination removed while it was being sent) stays given up, with its reason.
pub async fn failed(db: impl PgExecutor<'_>, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> AppResult<()> {
    sqlx::query(
        "UPDATE outbox SET last_error = CASE WHEN given_up_at IS NULL THEN $2 ELSE last_error END,
                next_attempt_at = COALESCE($3, next_attempt_at),
                given_up_at = COALESCE(given_up_at, CASE WHEN $3::timestamptz IS NULL THEN now() END)
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_at)
    .execute(db)
    .await?;
    Ok(())
}

const DELIVERY: &str = "SELECT id, event, incident_id, idempotency_key::text AS idempotency_key, created_at,
                               attempts, last_attempt_at, next_attempt_at, last_error, delivered_at, given_up_at
                        FROM outbox";

#[derive(sqlx::FromRow)]
struct DeliveryRecord {
    id: i64,
    event: String,
    incident_id: Option<i64>,
    idempotency_key: String,
    created_at: DateTime<Utc>,
    attempts: i32,
    last_attempt_at: Option<DateTime<Utc>>,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    given_up_at: Option<DateTime<Utc>>,
}

impl TryFrom<DeliveryRecord> for Delivery {
    type Error = crate::error::AppError;

    fn try_from(r: DeliveryRecord) -> AppResult<Self> {
        let state = match (r.delivered_at, r.given_up_at) {
            (Some(_), _) => DeliveryState::Delivered,
            (None, Some(_)) => DeliveryState::GivenUp,
            (None, None) => DeliveryState::Pending,
        };
        Ok(Delivery {
            event: stored(&r.event, format!("outbox {}", r.id), "event")?,
            id: r.id,
            incident: r.incident_id.map(crate::domain::incident_ref),
            idempotency_key: r.idempotency_key,
            created_at: r.created_at,
            attempts: r.attempts,
            state,
            last_attempt_at: r.last_attempt_at,
            next_attempt_at: (state == DeliveryState::Pending).then_some(r.next_attempt_at),
            last_error: r.last_error,
        })
    }
}

/// A destination's notifications, newest first, older than id `before`; and how many there are.
pub async fn deliveries(
    conn: &mut sqlx::PgConnection,
    destination_id: i64,
    before: Option<i64>,
    limit: i64,
) -> AppResult<(Vec<Delivery>, i64)> {
    let q =
        format!("{DELIVERY} WHERE destination_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3");
    let rows = sqlx::query_as::<_, DeliveryRecord>(&q)
        .bind(destination_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE destination_id = $1")
        .bind(destination_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows.into_iter().map(Delivery::try_from).collect::<AppResult<_>>()?, total))
}

pub async fn delivery(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<Delivery>> {
    let q = format!("{DELIVERY} WHERE id = $1");
    sqlx::query_as::<_, DeliveryRecord>(&q).bind(id).fetch_optional(db).await?.map(Delivery::try_from).transpose()
}

/// For `/metrics`: notifications waiting to be sent, and those given up on.
pub async fn backlog(db: impl PgExecutor<'_>) -> AppResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE delivered_at IS NULL AND given_up_at IS NULL),
                count(*) FILTER (WHERE given_up_at IS NOT NULL)
         FROM outbox",
    )
    .fetch_one(db)
    .await?)
}

/// A connection listening for `wake`.
pub async fn listener(pool: &sqlx::PgPool) -> AppResult<sqlx::postgres::PgListener> {
    let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

/// Queues a finished message for a person.
pub async fn enqueue_personal(
    db: impl PgExecutor<'_>,
    recipient_id: i64,
    event: NotifyEvent,
    body: &serde_json::Value,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar("INSERT INTO outbox (recipient_id, event, body) VALUES ($1, $2, $3) RETURNING id")
        .bind(recipient_id)
        .bind(event.as_str())
        .bind(body)
        .fetch_one(db)
        .await?)
}
