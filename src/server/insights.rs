//! The insights: a period's incidents as distributions, and how their follow-ups are doing.
//! Everyone signed in may ask; private incidents count only for those who may see them.

use super::db;
use crate::domain::export::csv_row;
use crate::domain::incident::Severity;
use crate::domain::insights::{self, Figure, FollowUps, IncidentFigures, InsightsView, Metric, MetricView, Period};
use crate::domain::milestones::Moment;
use crate::domain::validate::{check, given, FieldErrors};
use crate::domain::User;
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::collections::BTreeMap;

/// The filters as typed on the page or in the query string.
#[derive(Debug, Default, Clone, Deserialize, Serialize, PartialEq, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// The first day counted (`YYYY-MM-DD`, UTC); 90 days before `to` when left out.
    pub from: Option<String>,
    /// The last day counted, inclusive; today when left out.
    pub to: Option<String>,
    /// Only this severity.
    pub severity: Option<String>,
    /// Only incidents naming this service.
    pub service: Option<String>,
    /// Only incidents naming a service this team owns (in the service catalogue).
    pub team: Option<String>,
}

/// Incidents per week, by severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeekCount {
    /// The Monday the week starts on.
    pub week: NaiveDate,
    pub by_severity: BTreeMap<Severity, usize>,
}

/// Everything the page shows and the API exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Insights {
    pub period: Period,
    /// Per metric and group; `median_s` and `p90_s` are null where `count` is under five.
    pub figures: Vec<Figure>,
    pub per_week: Vec<WeekCount>,
    pub follow_ups: FollowUps,
    /// The incidents counted, in the order their impact started.
    pub incidents: Vec<IncidentFigures>,
}

fn name(errs: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<String> {
    let v = value?;
    if v.chars().count() > 200 {
        errs.insert(field.into(), format!("A {field} name has at most 200 characters"));
        return None;
    }
    Some(v.to_string())
}

/// Checks every filter (all the messages at once), then reads the period in one snapshot.
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn insights(pool: &PgPool, viewer: &User, p: &Params) -> AppResult<Insights> {
    let today = Utc::now().date_naive();
    let mut errs = FieldErrors::new();
    let span = match insights::period(p.from.as_deref(), p.to.as_deref(), today) {
        Ok(span) => Some(span),
        Err(list) => {
            for (field, message) in list {
                errs.insert(field.into(), message);
            }
            None
        }
    };
    let severity = given(&p.severity).and_then(|s| check(&mut errs, "severity", s.parse::<Severity>()));
    let service = name(&mut errs, "service", given(&p.service));
    let team = name(&mut errs, "team", given(&p.team));
    let Some((from, to)) = span.filter(|_| errs.is_empty()) else {
        return Err(AppError::fields(errs));
    };
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let filter = db::insights::Filter {
        from: midnight(from),
        until: midnight(to.succ_opt().unwrap_or(to)),
        severity: severity.map(|s| s.as_str().to_string()),
        service: service.clone(),
        team: team.clone(),
        viewer: viewer.id,
    };
    let (incidents, follow_ups) = read(pool, &filter, today).await?;
    let per_week = insights::per_week(&incidents, from, to)
        .into_iter()
        .map(|(week, counts)| WeekCount { week, by_severity: Severity::ALL.iter().copied().zip(counts).collect() })
        .collect();
    Ok(Insights {
        period: Period { from, to, severity, service, team },
        figures: insights::figures(&incidents),
        per_week,
        follow_ups,
        incidents,
    })
}

/// The SQL the figures come from, and nothing else: the incidents with their moments, then the
/// follow-ups, in one read-only snapshot so they agree.
pub async fn read(
    pool: &PgPool,
    filter: &db::insights::Filter,
    today: NaiveDate,
) -> AppResult<(Vec<IncidentFigures>, FollowUps)> {
    let mut tx = pool.begin().await?;
    db::set_read_only_snapshot(&mut tx).await?;
    let incidents = db::insights::incidents(&mut tx, filter).await?;
    let follow_ups = db::insights::follow_ups(&mut tx, filter, today, 50).await?;
    tx.commit().await?;
    Ok((incidents, follow_ups))
}

/// The figures as CSV: `metric,group,count,median_s,p90_s`, empty where there is no percentile.
pub fn figures_csv(i: &Insights) -> String {
    let secs = |v: Option<f64>| v.map(|s| format!("{s:.0}")).unwrap_or_default();
    let mut out = csv_row(&["metric", "group", "count", "median_s", "p90_s"]);
    for f in &i.figures {
        let count = f.count.to_string();
        out.push_str(&csv_row(&[f.metric.as_str(), &f.group, &count, &secs(f.median_s), &secs(f.p90_s)]));
    }
    out
}

/// One row per incident counted: its moments (RFC 3339, UTC) and the seconds of each metric.
pub fn incidents_csv(i: &Insights) -> String {
    let mut head: Vec<String> = ["reference", "title", "severity", "services"].map(String::from).to_vec();
    head.extend(Moment::ALL.iter().map(|m| m.as_str().to_string()));
    head.extend(Metric::ALL.iter().map(|m| format!("{}_s", m.as_str())));
    let mut out = csv_row(&head);
    for r in &i.incidents {
        let mut row = vec![r.reference.clone(), r.title.clone(), r.severity.to_string(), r.services.join(" ")];
        row.extend(Moment::ALL.iter().map(|&m| r.at(m).map(|t| t.to_rfc3339()).unwrap_or_default()));
        row.extend(Metric::ALL.iter().map(|&m| r.seconds(m).map(|s| format!("{s:.0}")).unwrap_or_default()));
        out.push_str(&csv_row(&row));
    }
    out
}

/// The page's view: per metric a box chart over all incidents and each severity, then the figures.
pub fn view(i: Insights) -> AppResult<InsightsView> {
    let mut metrics = Vec::new();
    for &metric in Metric::ALL {
        let mut groups: Vec<(String, Vec<f64>)> = vec![("All".into(), vec![])];
        groups.extend(Severity::ALL.iter().map(|s| (s.to_string(), vec![])));
        for r in &i.incidents {
            if let Some(s) = r.seconds(metric) {
                groups[0].1.push(s);
                let at = Severity::ALL.iter().position(|&x| x == r.severity).unwrap_or(0);
                groups[at + 1].1.push(s);
            }
        }
        let figures = i.figures.iter().filter(|f| f.metric == metric).cloned().collect();
        metrics.push(MetricView { metric, chart: super::charts::boxes(&groups)?, figures });
    }
    let weeks: Vec<_> = i
        .per_week
        .iter()
        .map(|w| {
            let counts: [usize; 4] =
                std::array::from_fn(|i| w.by_severity.get(&Severity::ALL[i]).copied().unwrap_or(0));
            (w.week, counts)
        })
        .collect();
    Ok(InsightsView {
        counted: i.incidents.len(),
        weekly_chart: super::charts::weekly(&weeks)?,
        weekly: weeks.into_iter().map(|(w, c)| (w, c.to_vec())).collect(),
        metrics,
        period: i.period,
        follow_ups: i.follow_ups,
    })
}
