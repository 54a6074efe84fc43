//! The rows behind the insights: each incident of a period with its moments (`incident_moments`,
//! kept by triggers from the same rules as the incident page's), and its follow-ups counted.

use super::stored;
use crate::domain::incident_ref;
use crate::domain::insights::{AwaitingCheck, Effectiveness, FollowUps, IncidentFigures};
use crate::error::AppResult;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

/// What to count, checked: `[from, until)` on when the impact started.
#[derive(Debug, Clone)]
pub struct Filter {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    pub viewer: i64,
}

/// The incidents counted: not declined from triage (nor still in it), in the period and filters,
/// and visible to the viewer (the visibility rule runs only for private ones).
macro_rules! picked {
    () => {
        r#"WITH picked AS (
    SELECT i.id, i.title, i.severity, i.services FROM incidents i
    WHERE i.declined_at IS NULL AND i.status <> 'triage'
      AND i.started_at >= $1 AND i.started_at < $2
      AND ($3::text IS NULL OR i.severity = $3)
      AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM unnest(i.services) s WHERE lower(s) = lower($4)))
      AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM unnest(i.services) s
            JOIN services c ON lower(c.name) = lower(s) WHERE lower(c.team) = lower($5)))
      AND (NOT i.private OR incident_visible(i.id, $6))
)"#
    };
}

const INCIDENTS: &str = concat!(
    picked!(),
    r#"
SELECT p.id, p.title, p.severity, p.services,
       ARRAY[m.impact_started, m.detected, m.declared, m.acknowledged, m.mitigated, m.resolved, m.closed] AS moments
FROM picked p JOIN incident_moments m ON m.incident_id = p.id
ORDER BY m.impact_started, p.id"#
);

#[derive(sqlx::FromRow)]
struct IncidentRecord {
    id: i64,
    title: String,
    severity: String,
    services: Vec<String>,
    moments: Vec<Option<DateTime<Utc>>>,
}

pub async fn incidents(db: &mut PgConnection, f: &Filter) -> AppResult<Vec<IncidentFigures>> {
    let rows: Vec<IncidentRecord> = bind(sqlx::query_as(INCIDENTS), f).fetch_all(db).await?;
    rows.into_iter()
        .map(|r| {
            let reference = incident_ref(r.id);
            let severity = stored(&r.severity, &reference, "severity")?;
            Ok(IncidentFigures { reference, title: r.title, severity, services: r.services, moments: r.moments })
        })
        .collect()
}

fn bind<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    f: &'q Filter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    q.bind(f.from)
        .bind(f.until)
        .bind(f.severity.as_deref())
        .bind(f.service.as_deref())
        .bind(f.team.as_deref())
        .bind(f.viewer)
}

/// One count per group: every item (both keys null), per action type, per owner's team. Counts
/// only, so Postgres can hash the groups; the overdue median is read from the overdue items alone.
const FOLLOW_UPS: &str = concat!(
    picked!(),
    r#"
SELECT GROUPING(a.type) AS by_type, GROUPING(u.team) AS by_team, a.type, u.team,
    count(*) AS total,
    count(*) FILTER (WHERE a.status = 'done') AS done,
    count(*) FILTER (WHERE a.status = 'wont_do') AS wont_do,
    count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_on < $7::date) AS overdue,
    max($7::date - a.due_on) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_on < $7::date) AS overdue_oldest,
    count(*) FILTER (WHERE a.outcome = 'worked') AS worked,
    count(*) FILTER (WHERE a.outcome = 'did_not_work') AS did_not_work,
    count(*) FILTER (WHERE a.outcome = 'unclear') AS unclear,
    count(*) FILTER (WHERE a.status = 'done' AND a.outcome IS NULL AND a.check_back_on <= $7::date) AS awaiting
FROM action_items a JOIN picked p ON p.id = a.incident_id JOIN users u ON u.id = a.owner_id
GROUP BY GROUPING SETS ((), (a.type), (u.team))
ORDER BY by_type, by_team, a.type, u.team"#
);

#[derive(sqlx::FromRow)]
struct FollowUpRecord {
    by_type: i32,
    by_team: i32,
    r#type: Option<String>,
    team: Option<String>,
    total: i64,
    done: i64,
    wont_do: i64,
    overdue: i64,
    overdue_oldest: Option<i32>,
    worked: i64,
    did_not_work: i64,
    unclear: i64,
    awaiting: i64,
}

const OVERDUE_MEDIAN: &str = concat!(
    picked!(),
    r#"
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ($7::date - a.due_on)::float8)
FROM action_items a JOIN picked p ON p.id = a.incident_id
WHERE a.status IN ('open', 'in_progress') AND a.due_on < $7::date"#
);

const AWAITING: &str = concat!(
    picked!(),
    r#"
SELECT a.id, a.title, a.incident_id, u.name AS owner, a.check_back_on
FROM action_items a JOIN picked p ON p.id = a.incident_id JOIN users u ON u.id = a.owner_id
WHERE a.status = 'done' AND a.outcome IS NULL AND a.check_back_on <= $7::date
ORDER BY a.check_back_on, a.id LIMIT $8"#
);

#[derive(sqlx::FromRow)]
struct AwaitingRecord {
    id: i64,
    title: String,
    incident_id: i64,
    owner: String,
    check_back_on: NaiveDate,
}

pub async fn follow_ups(db: &mut PgConnection, f: &Filter, today: NaiveDate, listed: i64) -> AppResult<FollowUps> {
    let rows: Vec<FollowUpRecord> = bind(sqlx::query_as(FOLLOW_UPS), f).bind(today).fetch_all(&mut *db).await?;
    let mut out = FollowUps::default();
    for r in rows {
        let effect =
            |group: String| Effectiveness { group, worked: r.worked, did_not_work: r.did_not_work, unclear: r.unclear };
        match (r.by_type, r.by_team) {
            // Both columns grouped away: the row for every item.
            (1, 1) => {
                out.total = r.total;
                out.done = r.done;
                out.wont_do = r.wont_do;
                out.completion_rate = FollowUps::rate(r.done, r.total, r.wont_do);
                out.overdue = r.overdue;
                out.overdue_oldest_days = r.overdue_oldest.map(i64::from);
                out.awaiting_count = r.awaiting;
            }
            (0, _) => out.effectiveness.push(effect(format!("type:{}", r.r#type.unwrap_or_default()))),
            _ => out.effectiveness.push(effect(format!("team:{}", r.team.unwrap_or_default()))),
        }
    }
    if out.overdue > 0 {
        let (median,): (Option<f64>,) = bind(sqlx::query_as(OVERDUE_MEDIAN), f).bind(today).fetch_one(&mut *db).await?;
        out.overdue_median_days = median;
    }
    let awaiting: Vec<AwaitingRecord> =
        bind(sqlx::query_as(AWAITING), f).bind(today).bind(listed).fetch_all(&mut *db).await?;
    out.awaiting = awaiting
        .into_iter()
        .map(|a| AwaitingCheck {
            id: a.id,
            title: a.title,
            incident: incident_ref(a.incident_id),
            owner: a.owner,
            check_back_on: a.check_back_on,
        })
        .collect();
    Ok(out)
}
