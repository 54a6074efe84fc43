//! An incident's moments: the automatic ones read from the evidence in one statement, with the
//! latest correction of each.

use super::stored;
use crate::domain::milestones::{Milestone, MilestoneSource, Milestones, Moment};
use crate::domain::UserRef;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct MilestoneRecord {
    moment: String,
    at: DateTime<Utc>,
    set_by: Option<i64>,
    set_by_name: Option<String>,
    reason: Option<String>,
}

/// Each moment's automatic time (the view `milestone_evidence` holds the rules) and its latest
/// correction, one row per moment.
const MILESTONES: &str = r#"
SELECT m.moment, COALESCE(c.at, m.at) AS at, c.set_by, c.name AS set_by_name, c.reason
FROM milestone_evidence ev
CROSS JOIN LATERAL (VALUES
    ('impact_started', ev.impact_started), ('detected', ev.detected), ('declared', ev.declared),
    ('acknowledged', ev.acknowledged), ('mitigated', ev.mitigated), ('resolved', ev.resolved), ('closed', ev.closed)
) m (moment, at)
LEFT JOIN LATERAL (
    SELECT c.at, c.set_by, u.name, c.reason
    FROM milestone_corrections c JOIN users u ON u.id = c.set_by
    WHERE c.incident_id = ev.incident_id AND c.moment = m.moment
    ORDER BY c.id DESC LIMIT 1
) c ON true
WHERE ev.incident_id = $1 AND COALESCE(c.at, m.at) IS NOT NULL
"#;

pub async fn of(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Milestones> {
    let rows: Vec<MilestoneRecord> = sqlx::query_as(MILESTONES).bind(incident_id).fetch_all(db).await?;
    let mut out = Milestones::default();
    for r in rows {
        let moment: Moment = stored(&r.moment, format_args!("milestone of incident {incident_id}"), "moment")?;
        let correction = match (r.set_by, r.set_by_name) {
            (Some(id), Some(name)) => Some(UserRef { id, name }),
            _ => None,
        };
        let source = if correction.is_some() { MilestoneSource::Manual } else { MilestoneSource::Auto };
        out.set(moment, Some(Milestone { at: r.at, source, set_by: correction, reason: r.reason }));
    }
    Ok(out)
}

pub async fn insert_correction(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    moment: Moment,
    at: DateTime<Utc>,
    set_by: i64,
    reason: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO milestone_corrections (incident_id, moment, at, set_by, reason) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(incident_id)
    .bind(moment.as_str())
    .bind(at)
    .bind(set_by)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}
