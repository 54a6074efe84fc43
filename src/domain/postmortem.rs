//! Postmortems: the template, the write-up's shape and its review states.

use super::incident::KeyKind;
use super::types::{TimelineEvent, UserRef};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One section of the postmortem template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateSection {
    pub key: String,
    pub title: String,
    /// Shown while writing: what good content for this section looks like.
    pub guidance: String,
    /// Must be filled in before the postmortem can go to review.
    pub required: bool,
}

fn section(key: &str, title: &str, required: bool, guidance: &str) -> TemplateSection {
    TemplateSection { key: key.into(), title: title.into(), guidance: guidance.into(), required }
}

/// The default template, drawn from the Google SRE book's postmortem template, Atlassian's incident
/// handbook and the structured questions teams ask after every incident.
pub fn default_template() -> Vec<TemplateSection> {
    vec![
        section("summary", "Summary", true, "Two or three sentences: what happened, the impact, and how it ended. Written for someone outside the team."),
        section("impact", "Impact", true, "Who and what was affected, for how long, and how much: users, requests, revenue, data. Use numbers."),
        section("trigger", "Trigger", true, "The change or event that set the incident off. Describe the system conditions, not who pressed the button."),
        section("detection", "Detection", true, "How we found out: an alert, a customer, a colleague. How long until we knew (time to detect comes from the timeline)?"),
        section("response", "Response and recovery", true, "What we did to mitigate and recover, what helped and what slowed us down."),
        section("timeline", "Timeline", false, "The key moments, generated from the incident's key events. Include or leave out each with a click."),
        section("contributing_factors", "Contributing factors", true, "What in the system let this happen: each factor with its category (technology, process, environment, external dependency). Never a person."),
        section("went_well", "What went well", false, "Practices, tools and decisions that limited the impact. Keep doing these."),
        section("went_wrong", "What went wrong", false, "Where the system, tooling or process made the incident worse or longer."),
        section("lucky", "Where we got lucky", false, "What kept it from being worse by chance. Luck is not a strategy: these are risks to address."),
        section("lessons", "Lessons learned", false, "What we now know about our systems that we did not know before."),
        section("action_items", "Action items", false, "The follow-ups that make this less likely or less harmful next time, each with an owner."),
        section("supporting_info", "Supporting information", false, "Links to dashboards, logs, related incidents, documents."),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PostmortemStatus {
    Draft,
    InReview,
    Published,
}

impl PostmortemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostmortemStatus::Draft => "draft",
            PostmortemStatus::InReview => "in_review",
            PostmortemStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PostmortemStatus::Draft),
            "in_review" => Some(PostmortemStatus::InReview),
            "published" => Some(PostmortemStatus::Published),
            _ => None,
        }
    }
}

/// A section of one postmortem: its copy of the template entry plus what was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Section {
    pub key: String,
    pub title: String,
    pub guidance: String,
    pub required: bool,
    pub body: String,
    /// Bumped on every save; a save naming an older version is a conflict.
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<UserRef>,
}

/// A contributing factor's category: where in the system it lives. There is deliberately no
/// "person" category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum FactorCategory {
    Technology,
    Process,
    Environment,
    ExternalDependency,
}

super::incident::wire_enum!(FactorCategory, "factor category", {
    Technology => "technology",
    Process => "process",
    Environment => "environment",
    ExternalDependency => "external_dependency",
});

impl FactorCategory {
    /// How the category reads in forms and in the write-up.
    pub fn label(self) -> &'static str {
        match self {
            FactorCategory::Technology => "Technology",
            FactorCategory::Process => "Process",
            FactorCategory::Environment => "Environment",
            FactorCategory::ExternalDependency => "External dependency",
        }
    }
}

/// Longest contributing factor, in characters.
pub const FACTOR_MAX: usize = 500;

/// One contributing factor: something in the system, with where it lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContributingFactor {
    pub id: i64,
    pub factor: String,
    pub category: FactorCategory,
}

/// A key event as the write-up's timeline section offers it: in or left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineItem {
    pub event_id: i64,
    pub at: DateTime<Utc>,
    pub kind: KeyKind,
    pub text: String,
    pub included: bool,
}

/// The incident's key events in time order (ties by id), each marked in or out of the write-up.
pub fn timeline_items(events: &[TimelineEvent], excluded: &[i64]) -> Vec<TimelineItem> {
    let mut key: Vec<&TimelineEvent> = events.iter().filter(|e| e.key.is_some()).collect();
    key.sort_by_key(|e| (e.occurred_at, e.id));
    key.into_iter()
        .filter_map(|e| {
            e.key.map(|kind| TimelineItem {
                event_id: e.id,
                at: e.occurred_at,
                kind,
                text: e.body.clone(),
                included: !excluded.contains(&e.id),
            })
        })
        .collect()
}

/// The merge of key events into the timeline section: key events only, minus those left out,
/// sorted by when they happened then by id.
pub fn timeline_lines(events: &[TimelineEvent], excluded: &[i64]) -> Vec<TimelineLine> {
    timeline_items(events, excluded)
        .into_iter()
        .filter(|i| i.included)
        .map(|i| TimelineLine { at: i.at, kind: i.kind.as_str().to_string(), text: i.text })
        .collect()
}

/// From the earliest trigger key event (or `started_at` when none is marked) to the earliest
/// detection key event; `None` until a detection is marked. A detection recorded before the
/// trigger counts as detected at once.
pub fn time_to_detect(events: &[TimelineEvent], started_at: DateTime<Utc>) -> Option<Duration> {
    let earliest = |k: KeyKind| events.iter().filter(|e| e.key == Some(k)).map(|e| e.occurred_at).min();
    let detected = earliest(KeyKind::Detection)?;
    let from = earliest(KeyKind::Trigger).unwrap_or(started_at);
    Some((detected - from).max(Duration::zero()))
}

/// A timeline line for the write-up (from the incident's key events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineLine {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub text: String,
}

/// A blameless-language hit in one section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SectionFlag {
    pub section: String,
    #[serde(flatten)]
    pub flag: super::blameless::BlamelessFlag,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Postmortem {
    pub incident_id: i64,
    pub status: PostmortemStatus,
    pub sections: Vec<Section>,
    pub blameless_flags: Vec<SectionFlag>,
    /// The permanent page, once published.
    pub published_url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub reviewers: Vec<Reviewer>,
    /// The latest `COMMENTS_SHOWN` review comments, oldest first; all of them are paged at
    /// `GET …/postmortem/comments`.
    pub comments: Vec<ReviewComment>,
    /// How many comments there are in all.
    pub comments_total: i64,
    /// The incident's key events, each included in or left out of the timeline section.
    pub timeline: Vec<TimelineItem>,
    pub time_to_detect_seconds: Option<i64>,
    pub contributing_factors: Vec<ContributingFactor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reviewer {
    pub user: UserRef,
    /// `pending`, `approved` or `changes_requested`.
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReviewComment {
    pub id: i64,
    pub section: Option<String>,
    pub author: UserRef,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Required sections still empty: the postmortem cannot go to review until they are written.
pub fn missing_required<'a>(sections: &'a [Section], structured: &Structured) -> Vec<&'a Section> {
    sections.iter().filter(|s| s.required && s.body.trim().is_empty() && !structured.fills(&s.key)).collect()
}

/// Which sections have their structured part filled in: a section counts as written when its text
/// or its structured part exists (the factor list, the key events included in the timeline).
#[derive(Debug, Default)]
pub struct Structured {
    pub factors: bool,
    pub timeline: bool,
}

impl Structured {
    pub fn fills(&self, key: &str) -> bool {
        match key {
            "contributing_factors" => self.factors,
            "timeline" => self.timeline,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Revision {
    pub version: i32,
    pub body: String,
    pub author: UserRef,
    pub created_at: DateTime<Utc>,
}

/// A template key: lower-case letters, digits and underscores, starting with a letter.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub const SECTION_MAX: usize = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template_has_the_agreed_keys_in_order() {
        let keys: Vec<String> = default_template().into_iter().map(|s| s.key).collect();
        assert_eq!(
            keys,
            [
                "summary",
                "impact",
                "trigger",
                "detection",
                "response",
                "timeline",
                "contributing_factors",
                "went_well",
                "went_wrong",
                "lucky",
                "lessons",
                "action_items",
                "supporting_info"
            ]
        );
        assert!(default_template().iter().all(|s| valid_key(&s.key) && !s.guidance.is_empty()));
    }

    #[test]
    fn keys_are_checked() {
        assert!(valid_key("went_well") && valid_key("a1"));
        assert!(!valid_key("") && !valid_key("1a") && !valid_key("Went") && !valid_key("a-b"));
        assert!(!valid_key(&"a".repeat(41)));
    }
}

/// The template as editable text: one section per line, `key | title | required | guidance`.
pub fn template_lines(sections: &[TemplateSection]) -> String {
    sections
        .iter()
        .map(|s| {
            format!("{} | {} | {} | {}", s.key, s.title, if s.required { "required" } else { "optional" }, s.guidance)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses `template_lines` text back; blank lines are skipped.
pub fn parse_template_lines(text: &str) -> Result<Vec<TemplateSection>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let parts: Vec<&str> = line.splitn(4, '|').map(str::trim).collect();
            let [key, title, required, guidance] = parts[..] else {
                return Err(format!("line {}: expected `key | title | required or optional | guidance`", n + 1));
            };
            let required = match required.to_ascii_lowercase().as_str() {
                "required" | "yes" | "true" => true,
                "optional" | "no" | "false" | "" => false,
                other => return Err(format!("line {}: {other:?} should be required or optional", n + 1)),
            };
            Ok(TemplateSection { key: key.into(), title: title.into(), guidance: guidance.into(), required })
        })
        .collect()
}

#[cfg(test)]
mod template_text_tests {
    use super::*;

    #[test]
    fn template_text_round_trips() {
        let t = default_template();
        assert_eq!(parse_template_lines(&template_lines(&t)).unwrap(), t);
    }

    #[test]
    fn bad_lines_are_explained() {
        assert!(parse_template_lines("summary | Summary").unwrap_err().contains("line 1"));
        assert!(parse_template_lines("\nx | X | maybe | g").unwrap_err().contains("line 2"));
    }
}

/// What the postmortem page shows: the incident, the write-up (if started) and each section's
/// saved text rendered to sanitised HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostmortemPage {
    pub incident: super::Incident,
    pub postmortem: Option<Postmortem>,
    pub rendered: Vec<String>,
    /// The incident's moments, as the reader reads their times.
    pub milestones: Vec<super::milestones::MilestoneRow>,
    pub me: super::User,
}

/// What the preview shows while writing: the rendered text and its blameless-language hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub html: String,
    pub flags: Vec<super::blameless::BlamelessFlag>,
}

/// How many of the latest review comments a postmortem carries.
pub const COMMENTS_SHOWN: i64 = 50;

/// One section's saved versions (a page of them), and the diff between two of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub incident: super::Incident,
    pub title: String,
    pub revisions: super::paging::Page<Revision>,
    /// The newest version there is.
    pub latest: i32,
    /// The diff between the two chosen versions (older first), when both exist.
    pub diff: Option<(i32, i32, Vec<super::diff::DiffLine>)>,
}

/// How long an admin's reason for publishing without an independent approval may be.
pub const OVERRIDE_REASON_MAX: usize = 2000;

/// Whether someone who wrote none of the write-up approved it: a write-up is never published on
/// its own authors' word.
pub fn independently_approved(approvers: &[i64], authors: &[i64]) -> bool {
    approvers.iter().any(|a| !authors.contains(a))
}

/// An admin's reason for publishing without an independent approval: `None` when none was given.
pub fn override_reason(reason: Option<&str>) -> Result<Option<String>, String> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) if r.chars().count() > OVERRIDE_REASON_MAX => {
            Err(format!("The reason is limited to {OVERRIDE_REASON_MAX} characters"))
        }
        Some(r) => Ok(Some(r.to_string())),
    }
}

#[cfg(test)]
mod review_rule_tests {
    use super::*;

    #[test]
    fn an_authors_approval_is_not_independent() {
        assert!(!independently_approved(&[], &[1]));
        assert!(!independently_approved(&[1], &[1, 2]), "an author approving their own write-up");
        assert!(!independently_approved(&[1, 2], &[1, 2]), "co-authors approving each other");
        assert!(independently_approved(&[1, 3], &[1, 2]));
        assert!(independently_approved(&[3], &[]), "nobody wrote anything yet");
    }

    #[test]
    fn override_reasons_are_trimmed_and_bounded() {
        assert_eq!(override_reason(None), Ok(None));
        assert_eq!(override_reason(Some("   ")), Ok(None));
        assert_eq!(override_reason(Some(" Reviewer on leave ")), Ok(Some("Reviewer on leave".into())));
        assert!(override_reason(Some(&"x".repeat(OVERRIDE_REASON_MAX + 1))).is_err());
        assert!(override_reason(Some(&"é".repeat(OVERRIDE_REASON_MAX))).is_ok(), "characters, not bytes");
    }
}

/// A published write-up as the library lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LibraryEntry {
    pub incident_id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub severity: super::Severity,
    pub services: Vec<String>,
    pub revision: i32,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    /// Why an admin published it without an independent approval; `None` when it had one.
    pub override_reason: Option<String>,
    /// The permanent page.
    pub url: String,
}

/// The permanent page's content: the entry and the sanitised HTML of the write-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub entry: LibraryEntry,
    pub html: String,
}

/// `2026-11` → the first instants of that month and of the next (UTC).
pub fn month_bounds(month: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::{Datelike, NaiveDate, TimeZone};
    let (y, m) = month.trim().split_once('-')?;
    let start = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if start.month() == 12 {
        NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)?
    };
    Some((Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0)?), Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0)?)))
}

#[cfg(test)]
mod month_tests {
    use super::month_bounds;

    #[test]
    fn months_cover_the_year_end() {
        let (a, b) = month_bounds("2026-12").unwrap();
        assert_eq!(
            (a.to_rfc3339(), b.to_rfc3339()),
            ("2026-12-01T00:00:00+00:00".into(), "2027-01-01T00:00:00+00:00".into())
        );
        assert!(month_bounds("2026-13").is_none() && month_bounds("soon").is_none());
    }
}

#[cfg(test)]
mod key_event_tests {
    use super::*;
    use crate::domain::EventKind;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 14, h, m, s).unwrap()
    }

    fn event(id: i64, when: DateTime<Utc>, key: Option<KeyKind>, body: &str) -> TimelineEvent {
        TimelineEvent {
            id,
            incident_id: 1,
            kind: EventKind::Note,
            author: UserRef { id: 1, name: "Ada".into() },
            body: body.into(),
            body_html: String::new(),
            from: None,
            to: None,
            key,
            occurred_at: when,
            recorded_at: when,
        }
    }

    #[test]
    fn the_merge_of_key_events_into_the_timeline_section() {
        let events = [
            event(5, at(9, 30, 0), Some(KeyKind::Resolution), "Fixed"),
            event(1, at(9, 0, 0), None, "Just a note"),
            event(4, at(9, 10, 0), Some(KeyKind::Mitigation), "Rolled back (b)"),
            event(3, at(9, 10, 0), Some(KeyKind::Detection), "Alert fired (a)"),
            event(2, at(9, 5, 0), Some(KeyKind::Trigger), "Deploy"),
        ];
        let lines = timeline_lines(&events, &[]);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Deploy", "Alert fired (a)", "Rolled back (b)", "Fixed"],
            "key events only, by time then id"
        );
        assert_eq!(lines[0].kind, "trigger");

        let left_out = timeline_lines(&events, &[4, 1, 99]);
        let texts: Vec<&str> = left_out.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Deploy", "Alert fired (a)", "Fixed"]);
        assert!(timeline_lines(&[], &[]).is_empty());
    }

    #[test]
    fn timeline_items_keep_left_out_events_marked() {
        let events = [
            event(2, at(9, 5, 0), Some(KeyKind::Trigger), "Deploy"),
            event(1, at(9, 0, 0), None, "note"),
            event(3, at(9, 6, 0), Some(KeyKind::Detection), "Alert"),
        ];
        let items = timeline_items(&events, &[3]);
        assert_eq!(items.iter().map(|i| (i.event_id, i.included)).collect::<Vec<_>>(), [(2, true), (3, false)]);
        assert_eq!(items[1].kind, KeyKind::Detection);
    }

    #[test]
    fn time_to_detect_runs_from_the_trigger_to_the_first_detection() {
        let started = at(8, 0, 0);
        let events = [
            event(1, at(9, 20, 0), Some(KeyKind::Detection), "second alert"),
            event(2, at(9, 17, 30), Some(KeyKind::Detection), "first alert"),
            event(3, at(9, 5, 0), Some(KeyKind::Trigger), "deploy"),
            event(4, at(9, 6, 0), Some(KeyKind::Trigger), "second deploy"),
            event(5, at(9, 0, 0), None, "unmarked note"),
        ];
        assert_eq!(time_to_detect(&events, started), Some(Duration::seconds(12 * 60 + 30)));
        assert_eq!(crate::domain::time::format_duration(time_to_detect(&events, started).unwrap()), "12m 30s");
    }

    #[test]
    fn time_to_detect_falls_back_to_the_start_and_needs_a_detection() {
        let started = at(9, 0, 0);
        let detection = [event(1, at(9, 3, 0), Some(KeyKind::Detection), "alert")];
        assert_eq!(time_to_detect(&detection, started), Some(Duration::minutes(3)));
        let no_detection = [event(1, at(9, 3, 0), Some(KeyKind::Trigger), "deploy")];
        assert_eq!(time_to_detect(&no_detection, started), None);
        assert_eq!(time_to_detect(&[], started), None);
        let early = [
            event(1, at(9, 3, 0), Some(KeyKind::Trigger), "deploy"),
            event(2, at(9, 1, 0), Some(KeyKind::Detection), "alert"),
        ];
        assert_eq!(time_to_detect(&early, started), Some(Duration::zero()));
    }

    #[test]
    fn factor_categories_round_trip_and_have_labels() {
        for c in FactorCategory::ALL {
            assert_eq!(c.as_str().parse::<FactorCategory>().unwrap(), *c);
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{}\"", c.as_str()));
            assert!(!c.label().is_empty());
        }
        assert_eq!("external_dependency".parse(), Ok(FactorCategory::ExternalDependency));
        assert_eq!(FactorCategory::ExternalDependency.label(), "External dependency");
        assert!("person".parse::<FactorCategory>().unwrap_err().contains("technology"));
    }
}
