//! An incident's moments, from impact to close, each with where its time came from: set
//! automatically from the evidence (a status change, a key event, the first alert) or corrected by
//! a person with a reason. Their order is a rule: a correction may not put one before an earlier one.

use super::incident::wire_enum;
use super::UserRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Moment {
    ImpactStarted,
    Detected,
    Declared,
    Acknowledged,
    Mitigated,
    Resolved,
    Closed,
}

wire_enum!(Moment, "moment", {
    ImpactStarted => "impact_started",
    Detected => "detected",
    Declared => "declared",
    Acknowledged => "acknowledged",
    Mitigated => "mitigated",
    Resolved => "resolved",
    Closed => "closed",
});

impl Moment {
    pub fn label(self) -> &'static str {
        match self {
            Moment::ImpactStarted => "Impact started",
            Moment::Detected => "Detected",
            Moment::Declared => "Declared",
            Moment::Acknowledged => "Acknowledged",
            Moment::Mitigated => "Mitigated",
            Moment::Resolved => "Resolved",
            Moment::Closed => "Closed",
        }
    }

    /// Where the automatic time comes from, as the page explains it.
    pub fn evidence(self) -> &'static str {
        match self {
            Moment::ImpactStarted => "the incident's start time",
            Moment::Detected => "the detection key event, or the first alert",
            Moment::Declared => "when it was declared (or accepted from triage)",
            Moment::Acknowledged => "the first role taken, note or status change after declaring",
            Moment::Mitigated => "the mitigation key event, or the first move to monitoring",
            Moment::Resolved => "the change to resolved",
            Moment::Closed => "the change to closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum MilestoneSource {
    Auto,
    Manual,
}

wire_enum!(MilestoneSource, "milestone source", { Auto => "auto", Manual => "manual" });

/// One moment's time and where it came from; `set_by` and `reason` only for a correction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Milestone {
    pub at: DateTime<Utc>,
    pub source: MilestoneSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Every moment of an incident, in order; one with no evidence yet is null.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Milestones {
    pub impact_started: Option<Milestone>,
    pub detected: Option<Milestone>,
    pub declared: Option<Milestone>,
    pub acknowledged: Option<Milestone>,
    pub mitigated: Option<Milestone>,
    pub resolved: Option<Milestone>,
    pub closed: Option<Milestone>,
}

impl Milestones {
    pub fn get(&self, m: Moment) -> Option<&Milestone> {
        self.slot(m).as_ref()
    }

    pub fn set(&mut self, m: Moment, value: Option<Milestone>) {
        *self.slot_mut(m) = value;
    }

    fn slot(&self, m: Moment) -> &Option<Milestone> {
        match m {
            Moment::ImpactStarted => &self.impact_started,
            Moment::Detected => &self.detected,
            Moment::Declared => &self.declared,
            Moment::Acknowledged => &self.acknowledged,
            Moment::Mitigated => &self.mitigated,
            Moment::Resolved => &self.resolved,
            Moment::Closed => &self.closed,
        }
    }

    fn slot_mut(&mut self, m: Moment) -> &mut Option<Milestone> {
        match m {
            Moment::ImpactStarted => &mut self.impact_started,
            Moment::Detected => &mut self.detected,
            Moment::Declared => &mut self.declared,
            Moment::Acknowledged => &mut self.acknowledged,
            Moment::Mitigated => &mut self.mitigated,
            Moment::Resolved => &mut self.resolved,
            Moment::Closed => &mut self.closed,
        }
    }

    /// Every moment with its milestone, earliest first.
    pub fn all(&self) -> impl Iterator<Item = (Moment, Option<&Milestone>)> {
        Moment::ALL.iter().map(|&m| (m, self.get(m)))
    }

    /// Whether `at` may stand for `m`: not before any earlier moment, not after any later one.
    pub fn check_order(&self, m: Moment, at: DateTime<Utc>) -> Result<(), String> {
        let fmt = super::time::format_utc;
        for (other, value) in self.all() {
            let Some(value) = value else { continue };
            if other < m && at < value.at {
                return Err(format!(
                    "{} cannot be before {} ({}): correct that one first",
                    m.label(),
                    other.label().to_lowercase(),
                    fmt(value.at)
                ));
            }
            if other > m && at > value.at {
                return Err(format!(
                    "{} cannot be after {} ({}): correct that one first",
                    m.label(),
                    other.label().to_lowercase(),
                    fmt(value.at)
                ));
            }
        }
        Ok(())
    }
}

/// A moment as a page shows it: its time in UTC and the reader's zone, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneRow {
    pub moment: Moment,
    pub stamp: Option<super::Stamp>,
    pub milestone: Option<Milestone>,
}

#[cfg(feature = "ssr")]
impl Milestones {
    pub fn rows(&self, tz: chrono_tz::Tz) -> Vec<MilestoneRow> {
        self.all()
            .map(|(moment, m)| MilestoneRow {
                moment,
                stamp: m.map(|m| super::time::stamp(m.at, tz)),
                milestone: m.cloned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    fn auto(t: DateTime<Utc>) -> Option<Milestone> {
        Some(Milestone { at: t, source: MilestoneSource::Auto, set_by: None, reason: None })
    }

    #[test]
    fn a_correction_keeps_the_order() {
        let mut ms = Milestones::default();
        ms.set(Moment::ImpactStarted, auto(at(6, 0)));
        ms.set(Moment::Declared, auto(at(6, 30)));
        ms.set(Moment::Resolved, auto(at(8, 0)));
        let early = ms.check_order(Moment::Detected, at(5, 50)).unwrap_err();
        assert!(early.contains("Detected cannot be before impact started (2026-11-23 06:00:00 UTC)"), "{early}");
        let late = ms.check_order(Moment::Detected, at(6, 40)).unwrap_err();
        assert!(late.contains("cannot be after declared"), "{late}");
        assert_eq!(ms.check_order(Moment::Detected, at(6, 10)), Ok(()));
        // Equal times are in order; a moment with no time yet constrains nothing.
        assert_eq!(ms.check_order(Moment::Mitigated, at(8, 0)), Ok(()));
        assert_eq!(ms.check_order(Moment::Declared, at(6, 0)), Ok(()));
    }

    #[test]
    fn moments_have_one_spelling_and_serialise_in_order() {
        assert_eq!("impact_started".parse::<Moment>(), Ok(Moment::ImpactStarted));
        assert!("impact".parse::<Moment>().unwrap_err().contains("expected one of impact_started, detected"));
        let mut ms = Milestones::default();
        ms.set(Moment::Detected, auto(at(6, 5)));
        let json = serde_json::to_value(&ms).unwrap();
        assert_eq!(json["detected"], serde_json::json!({"at": "2026-11-23T06:05:00Z", "source": "auto"}));
        assert!(json["mitigated"].is_null());
        assert_eq!(
            ms.all().map(|(m, _)| m.as_str()).collect::<Vec<_>>()[..3],
            ["impact_started", "detected", "declared"]
        );
    }
}
