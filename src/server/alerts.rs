//! Alerts in: a notification from Alertmanager or the generic webhook opens an incident in triage or
//! joins the open one of its group, and each alert state is a timeline event, recorded once however
//! often the sender retries or repeats.

use super::db::{self, alerts::NewAlertIncident, timeline::Change};
use super::integrations;
use super::markdown;
use crate::domain::alerts::{event_text, Alert, AlertBatch, AlertStatus, Intake, Integration};
use crate::domain::{incident_ref, EventKind, User};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Records a batch from `integration`, acting as its `account`, in one transaction.
#[tracing::instrument(skip_all, fields(integration = integration.id, batch = %batch))]
pub async fn receive(
    pool: &PgPool,
    integration: &Integration,
    account: &User,
    mut batch: AlertBatch,
) -> AppResult<Intake> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    // One notification of a group at a time: a retry racing the original waits, then finds it recorded.
    db::advisory_lock(&mut tx, &format!("alerts:{}:{}", integration.id, batch.group_key)).await?;
    let rules = integrations::rules(&mut *tx).await?;
    if integration.kind == crate::domain::alerts::IntegrationKind::Generic {
        place_generic(&mut tx, integration.id, &mut batch, now).await?;
    }
    let mut open = db::alerts::open_incident(&mut *tx, integration.id, &batch.group_key).await?;
    let mut intake = Intake { incident: None, opened: false, recorded: 0, duplicates: 0, ignored: 0 };
    let mut touched: Vec<(i64, bool)> = Vec::new();
    for alert in &batch.alerts {
        let target = match alert.status {
            AlertStatus::Firing => match open {
                Some(id) => Some(id),
                None if already(&mut tx, integration.id, alert).await? => None,
                None => {
                    let id = open_incident(&mut tx, integration, account, &batch, &rules).await?;
                    intake.opened = true;
                    open = Some(id);
                    Some(id)
                }
            },
            // A resolve belongs where its firing was recorded, even if that incident has moved on.
            AlertStatus::Resolved => {
                db::alerts::firing_incident(&mut *tx, integration.id, &alert.fingerprint, alert.starts_at)
                    .await?
                    .or(open)
            }
        };
        let Some(incident_id) = target else {
            if alert.status == AlertStatus::Resolved {
                tracing::info!(fingerprint = %alert.fingerprint, "resolved alert whose firing was never seen: ignored");
                intake.ignored += 1;
            } else {
                intake.duplicates += 1;
            }
            continue;
        };
        let new = db::alerts::insert_event(
            &mut *tx,
            integration.id,
            &alert.fingerprint,
            alert.starts_at,
            alert.status,
            incident_id,
        )
        .await?;
        if !new {
            intake.duplicates += 1;
            continue;
        }
        intake.recorded += 1;
        let at = match alert.status {
            AlertStatus::Firing => alert.starts_at,
            AlertStatus::Resolved => alert.ends_at.unwrap_or(now),
        };
        record(&mut tx, incident_id, account, &event_text(alert), alert.status.as_str(), at).await?;
        match touched.iter_mut().find(|(id, _)| *id == incident_id) {
            Some(t) => t.1 |= alert.status == AlertStatus::Resolved,
            None => touched.push((incident_id, alert.status == AlertStatus::Resolved)),
        }
    }
    for (incident_id, resolved_now) in &touched {
        if *resolved_now && db::alerts::still_firing(&mut *tx, *incident_id).await? == 0 {
            let body = "Every alert of the group has resolved (the incident stays open until a person resolves it)";
            record(&mut tx, *incident_id, account, body, "all_resolved", now).await?;
        }
        db::incidents::notify(&mut *tx, *incident_id, "alert").await?;
    }
    tx.commit().await?;
    intake.incident = open.or(touched.first().map(|t| t.0)).map(incident_ref);
    Ok(intake)
}

/// Whether this firing was already recorded (on an incident that has since been resolved or
/// declined): a repeat of it must not open a new incident.
async fn already(tx: &mut sqlx::PgConnection, integration_id: i64, a: &Alert) -> AppResult<bool> {
    Ok(db::alerts::firing_incident(&mut *tx, integration_id, &a.fingerprint, a.starts_at).await?.is_some())
}

/// The generic webhook has no start times: a firing continues the episode that is still firing, or
/// starts one now; a resolve closes the episode that fires.
async fn place_generic(
    tx: &mut sqlx::PgConnection,
    integration_id: i64,
    batch: &mut AlertBatch,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for a in &mut batch.alerts {
        let latest = db::alerts::latest(&mut *tx, integration_id, &a.fingerprint).await?;
        a.starts_at = match (a.status, latest) {
            (AlertStatus::Firing, Some((at, AlertStatus::Firing))) => at,
            (AlertStatus::Firing, _) => now,
            (AlertStatus::Resolved, Some((at, _))) => at,
            // Nothing fired: the resolve finds no firing and is ignored.
            (AlertStatus::Resolved, None) => now,
        };
        if a.status == AlertStatus::Resolved {
            a.ends_at = Some(now);
        }
    }
    Ok(())
}

async fn open_incident(
    tx: &mut sqlx::PgConnection,
    integration: &Integration,
    account: &User,
    batch: &AlertBatch,
    rules: &crate::domain::alerts::AlertRules,
) -> AppResult<i64> {
    let severity = rules.batch_severity(batch);
    let services = rules.batch_services(batch);
    let firing = batch.alerts.iter().filter(|a| a.status == AlertStatus::Firing);
    let started_at = firing.map(|a| a.starts_at).min().unwrap_or_else(Utc::now);
    let id = db::alerts::insert_incident(
        &mut *tx,
        &NewAlertIncident {
            title: &batch.title,
            severity,
            summary: &batch.description,
            services: &services,
            started_at,
            declared_by: account.id,
            integration_id: integration.id,
            group_key: &batch.group_key,
        },
    )
    .await?;
    let body = format!("{} opened the incident in triage as {severity}: {}", integration.name, batch.title);
    let html = format!("<p>{}</p>", markdown::escape(&body));
    db::timeline::insert(
        &mut *tx,
        &db::timeline::NewEvent {
            incident_id: id,
            kind: EventKind::Declared,
            author_id: account.id,
            body: &body,
            body_html: &html,
            change: Change::set(severity.as_str()),
            key: None,
            occurred_at: Utc::now(),
        },
    )
    .await?;
    db::incidents::notify(&mut *tx, id, "declared").await?;
    Ok(id)
}

/// One line of an alert event, escaped; the source's http(s) address becomes a link.
fn line_html(line: &str) -> String {
    match line.strip_prefix("Source: ").filter(|u| u.starts_with("http://") || u.starts_with("https://")) {
        Some(url) => {
            let url = markdown::escape(url);
            format!("<p>Source: <a href=\"{url}\" rel=\"noopener noreferrer nofollow\">{url}</a></p>")
        }
        None => format!("<p>{}</p>", markdown::escape(line)),
    }
}

/// An alert event: plain text, escaped, one paragraph per line.
async fn record(
    tx: &mut sqlx::PgConnection,
    incident_id: i64,
    account: &User,
    body: &str,
    to: &str,
    at: DateTime<Utc>,
) -> AppResult<i64> {
    let html: String = body.lines().map(line_html).collect();
    db::timeline::insert(
        tx,
        &db::timeline::NewEvent {
            incident_id,
            kind: EventKind::Alert,
            author_id: account.id,
            body,
            body_html: &html,
            change: Change::set(to),
            key: None,
            occurred_at: at,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_source_line_is_a_link_and_everything_is_escaped() {
        assert_eq!(
            super::line_html("Source: https://p/graph?a=1&b=\"2\""),
            "<p>Source: <a href=\"https://p/graph?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer nofollow\">https://p/graph?a=1&amp;b=&quot;2&quot;</a></p>"
        );
        assert_eq!(super::line_html("Source: javascript:alert(1)"), "<p>Source: javascript:alert(1)</p>");
        assert_eq!(super::line_html("Alert firing: <b>x</b>"), "<p>Alert firing: &lt;b&gt;x&lt;/b&gt;</p>");
    }
}
