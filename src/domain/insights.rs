//! Honest incident figures: durations as distributions (median, 90th percentile and how many
//! incidents stand behind them) rather than means, and no percentile at all for a group too small
//! to have a meaningful one.

use super::incident::{wire_enum, Severity};
use super::milestones::Moment;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Below this many incidents a group shows its count and no median or percentile.
pub const MIN_SAMPLE: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Metric {
    TimeToDetect,
    TimeToAcknowledge,
    TimeToMitigate,
    TimeToResolve,
}

wire_enum!(Metric, "metric", {
    TimeToDetect => "time_to_detect",
    TimeToAcknowledge => "time_to_acknowledge",
    TimeToMitigate => "time_to_mitigate",
    TimeToResolve => "time_to_resolve",
});

impl Metric {
    /// The two moments it measures between.
    pub fn span(self) -> (Moment, Moment) {
        match self {
            Metric::TimeToDetect => (Moment::ImpactStarted, Moment::Detected),
            Metric::TimeToAcknowledge => (Moment::Declared, Moment::Acknowledged),
            Metric::TimeToMitigate => (Moment::ImpactStarted, Moment::Mitigated),
            Metric::TimeToResolve => (Moment::ImpactStarted, Moment::Resolved),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::TimeToDetect => "Time to detect",
            Metric::TimeToAcknowledge => "Time to acknowledge",
            Metric::TimeToMitigate => "Time to mitigate",
            Metric::TimeToResolve => "Time to resolve",
        }
    }

    /// The definition the page prints beside the figures.
    pub fn definition(self) -> String {
        let (from, to) = self.span();
        format!(
            "From {} to {}, for each incident that has both moments.",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        )
    }
}

/// The `p`-th quantile (0 ≤ p ≤ 1) of sorted values, interpolating linearly between the two nearest
/// ranks, as Postgres's `percentile_cont` and spreadsheets do. None for no values.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = p.clamp(0.0, 1.0) * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// How many, the median and the 90th percentile; the last two only from `MIN_SAMPLE` values up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
}

impl Summary {
    pub fn of(values: &mut [f64]) -> Summary {
        values.sort_by(f64::total_cmp);
        let enough = values.len() >= MIN_SAMPLE;
        let q = |p| if enough { quantile(values, p) } else { None };
        Summary { count: values.len(), median_s: q(0.5), p90_s: q(0.9) }
    }
}

/// One figure of the export: a metric over one group of incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Figure {
    pub metric: Metric,
    /// `all`, `severity:SEV1`, `service:payments` or `month:2026-11`.
    #[cfg_attr(feature = "ssr", schema(example = "severity:SEV1"))]
    pub group: String,
    pub count: usize,
    /// Seconds; null when fewer than five incidents are in the group.
    pub median_s: Option<f64>,
    /// Seconds; null when fewer than five incidents are in the group.
    pub p90_s: Option<f64>,
}

/// One incident of the period, with the moments its figures come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentFigures {
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub services: Vec<String>,
    /// Every moment in order, impact started … closed; null where there is none.
    pub moments: Vec<Option<DateTime<Utc>>>,
}

impl IncidentFigures {
    pub fn at(&self, m: Moment) -> Option<DateTime<Utc>> {
        let i = Moment::ALL.iter().position(|&x| x == m)?;
        self.moments.get(i).copied().flatten()
    }

    /// Seconds from the metric's first moment to its second, when both are known and in order.
    pub fn seconds(&self, metric: Metric) -> Option<f64> {
        let (from, to) = metric.span();
        let s = (self.at(to)? - self.at(from)?).num_milliseconds() as f64 / 1000.0;
        (s >= 0.0).then_some(s)
    }

    fn month(&self) -> String {
        self.at(Moment::ImpactStarted).map(|t| t.format("%Y-%m").to_string()).unwrap_or_default()
    }
}

/// Every metric over every group: all incidents, each severity, each service, each month.
pub fn figures(rows: &[IncidentFigures]) -> Vec<Figure> {
    let mut groups: BTreeMap<(Metric, u8, String), Vec<f64>> = BTreeMap::new();
    for r in rows {
        for &metric in Metric::ALL {
            let Some(s) = r.seconds(metric) else { continue };
            let mut add = |order: u8, group: String| groups.entry((metric, order, group)).or_default().push(s);
            add(0, "all".into());
            add(1, format!("severity:{}", r.severity));
            for service in &r.services {
                add(2, format!("service:{service}"));
            }
            add(3, format!("month:{}", r.month()));
        }
    }
    // Every metric has its `all` row, empty or not, so a reader sees "0 incidents" rather than nothing.
    for &metric in Metric::ALL {
        groups.entry((metric, 0, "all".into())).or_default();
    }
    groups
        .into_iter()
        .map(|((metric, _, group), mut values)| {
            let s = Summary::of(&mut values);
            Figure { metric, group, count: s.count, median_s: s.median_s, p90_s: s.p90_s }
        })
        .collect()
}

/// Incidents per week (weeks start on Monday, UTC) by severity, every week of the period listed.
pub fn per_week(rows: &[IncidentFigures], from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, [usize; 4])> {
    let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday() as i64);
    let mut weeks: BTreeMap<NaiveDate, [usize; 4]> = BTreeMap::new();
    let mut w = monday(from);
    while w <= to {
        weeks.insert(w, [0; 4]);
        w += Duration::days(7);
    }
    for r in rows {
        let Some(t) = r.at(Moment::ImpactStarted) else { continue };
        let i = Severity::ALL.iter().position(|&s| s == r.severity).unwrap_or(0);
        weeks.entry(monday(t.date_naive())).or_insert([0; 4])[i] += 1;
    }
    weeks.into_iter().collect()
}

/// A duration as a person reads it: `45 s`, `12 min`, `3.5 h`, `2.1 d`.
pub fn human(seconds: f64) -> String {
    match seconds {
        s if s < 90.0 => format!("{s:.0} s"),
        s if s < 90.0 * 60.0 => format!("{:.0} min", s / 60.0),
        s if s < 48.0 * 3600.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.1} d", s / 86400.0),
    }
}

/// How the follow-ups of the period's incidents are doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FollowUps {
    pub total: i64,
    pub done: i64,
    pub wont_do: i64,
    /// Done ÷ (all − won't do); null when nothing is left to count.
    pub completion_rate: Option<f64>,
    /// Open or in progress past their due date.
    pub overdue: i64,
    /// Median days past due of the overdue ones.
    pub overdue_median_days: Option<f64>,
    pub overdue_oldest_days: Option<i64>,
    /// Answered check-backs, per action type and per owner's team.
    pub effectiveness: Vec<Effectiveness>,
    /// Done items whose check-back date has come with no answer yet.
    pub awaiting_count: i64,
    pub awaiting: Vec<AwaitingCheck>,
}

impl FollowUps {
    pub fn rate(done: i64, total: i64, wont_do: i64) -> Option<f64> {
        let counted = total - wont_do;
        (counted > 0).then(|| done as f64 / counted as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Effectiveness {
    /// `type:prevent` … or `team:Payments` (`team:` alone for owners with no team).
    pub group: String,
    pub worked: i64,
    pub did_not_work: i64,
    pub unclear: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AwaitingCheck {
    pub id: i64,
    pub title: String,
    pub incident: String,
    pub owner: String,
    pub check_back_on: NaiveDate,
}

/// The period and filters, as checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Period {
    pub from: NaiveDate,
    /// Inclusive: incidents whose impact started on this day count.
    pub to: NaiveDate,
    pub severity: Option<Severity>,
    pub service: Option<String>,
    pub team: Option<String>,
}

/// One metric: its box chart (None when no group has five incidents) and its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricView {
    pub metric: Metric,
    pub chart: Option<String>,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsView {
    pub period: Period,
    pub counted: usize,
    pub metrics: Vec<MetricView>,
    pub weekly_chart: String,
    /// Week start, then counts for SEV1 … SEV4.
    pub weekly: Vec<(NaiveDate, Vec<usize>)>,
    pub follow_ups: FollowUps,
}

/// Days a period may span: ten years is more than any question we answer.
pub const MAX_PERIOD_DAYS: i64 = 3660;

/// Checks a period typed as `YYYY-MM-DD` dates; `from` defaults to 90 days before `to`, `to` to today.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Vec<(&'static str, String)>> {
    let day = |field: &'static str, s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| (field, format!("{:?} is not a date: use 2026-11-23", s.trim())))
    };
    let mut errs = Vec::new();
    let to = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => day("to", s).map_err(|e| errs.push(e)).ok(),
        None => Some(today),
    };
    let from = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => day("from", s).map_err(|e| errs.push(e)).ok(),
        None => to.map(|t| t - Duration::days(90)),
    };
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errs.push(("to", format!("The period ends ({t}) before it starts ({f})")));
        } else if (t - f).num_days() > MAX_PERIOD_DAYS {
            errs.push(("from", "Choose a period of at most ten years".to_string()));
        }
    }
    match (from, to, errs.is_empty()) {
        (Some(f), Some(t), true) => Ok((f, t)),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.9), Some(4.6));
        assert_eq!(quantile(&[10.0, 20.0, 30.0, 40.0], 0.5), Some(25.0));
        assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(5.0));
    }

    #[test]
    fn a_skewed_sample_has_a_median_far_from_its_mean() {
        let mut v = vec![60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 420.0, 480.0, 540.0, 86_400.0];
        let s = Summary::of(&mut v);
        assert_eq!(s.count, 10);
        assert_eq!(s.median_s, Some(330.0));
        assert!((s.p90_s.unwrap() - 9126.0).abs() < 1e-6, "{:?}", s.p90_s);
    }

    #[test]
    fn fewer_than_five_give_a_count_and_no_percentile() {
        let mut four = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(Summary::of(&mut four), Summary { count: 4, median_s: None, p90_s: None });
        let mut five = vec![5.0, 4.0, 1.0, 3.0, 2.0];
        assert_eq!(Summary::of(&mut five).median_s, Some(3.0));
    }

    fn incident(sev: Severity, services: &[&str], start: (u32, u32), detect_min: Option<i64>) -> IncidentFigures {
        let t0 = Utc.with_ymd_and_hms(2026, start.0, start.1, 6, 0, 0).unwrap();
        let mut moments = vec![None; Moment::ALL.len()];
        moments[0] = Some(t0);
        moments[1] = detect_min.map(|m| t0 + Duration::minutes(m));
        moments[2] = Some(t0 + Duration::minutes(30));
        IncidentFigures {
            reference: "INC-1".into(),
            title: "t".into(),
            severity: sev,
            services: services.iter().map(|s| s.to_string()).collect(),
            moments,
        }
    }

    #[test]
    fn figures_group_by_severity_service_and_month() {
        let rows = vec![
            incident(Severity::Sev1, &["api", "db"], (10, 1), Some(10)),
            incident(Severity::Sev1, &["api"], (11, 2), Some(20)),
            incident(Severity::Sev2, &["api"], (11, 3), None),
            // Detected before impact began: out of order evidence is left out, not counted as 0.
            incident(Severity::Sev2, &[], (11, 4), Some(-5)),
        ];
        let f = figures(&rows);
        let get = |m: Metric, g: &str| f.iter().find(|x| x.metric == m && x.group == g).cloned();
        assert_eq!(get(Metric::TimeToDetect, "all").unwrap().count, 2);
        assert_eq!(get(Metric::TimeToDetect, "service:api").unwrap().count, 2);
        assert_eq!(get(Metric::TimeToDetect, "service:db").unwrap().count, 1);
        assert_eq!(get(Metric::TimeToDetect, "month:2026-11").unwrap().count, 1);
        assert!(get(Metric::TimeToDetect, "severity:SEV2").is_none());
        assert_eq!(get(Metric::TimeToResolve, "all").unwrap().count, 0);
        assert_eq!(get(Metric::TimeToDetect, "all").unwrap().median_s, None);
        // Groups come in a stable order: all, severities, services, months.
        let groups: Vec<_> = f.iter().filter(|x| x.metric == Metric::TimeToDetect).map(|x| x.group.as_str()).collect();
        assert_eq!(groups, ["all", "severity:SEV1", "service:api", "service:db", "month:2026-10", "month:2026-11"]);
    }

    #[test]
    fn weeks_start_on_monday_and_empty_weeks_are_listed() {
        let rows = vec![incident(Severity::Sev2, &[], (11, 4), None)]; // a Wednesday
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let weeks = per_week(&rows, d(10, 28), d(11, 10));
        assert_eq!(weeks.iter().map(|w| w.0).collect::<Vec<_>>(), [d(10, 26), d(11, 2), d(11, 9)]);
        assert_eq!(weeks[1].1, [0, 1, 0, 0]);
    }

    #[test]
    fn periods_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(period(None, None, today), Ok((today - Duration::days(90), today)));
        let backwards = period(Some("2026-11-10"), Some("2026-11-01"), today).unwrap_err();
        assert_eq!(backwards[0].0, "to");
        assert!(backwards[0].1.contains("ends (2026-11-01) before it starts (2026-11-10)"));
        let bad = period(Some("yesterday"), Some("2026-13-01"), today).unwrap_err();
        assert_eq!(bad.iter().map(|e| e.0).collect::<Vec<_>>(), ["to", "from"]);
        assert!(period(Some("1900-01-01"), None, today).unwrap_err()[0].1.contains("ten years"));
    }

    #[test]
    fn completion_leaves_out_what_was_dropped() {
        assert_eq!(FollowUps::rate(3, 10, 4), Some(0.5));
        assert_eq!(FollowUps::rate(0, 2, 2), None);
        assert_eq!(human(30.0), "30 s");
        assert_eq!(human(600.0), "10 min");
        assert_eq!(human(3.5 * 3600.0), "3.5 h");
    }
}
