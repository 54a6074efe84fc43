//! Action items: the follow-ups an incident leaves behind, their status machine, when they are
//! overdue (in the owner's own calendar), when their check-back is due, and the once-a-day digest rule.

use super::incident::wire_enum;
use super::incident::Severity;
use super::types::{Stamp, User, UserRef};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub const DESCRIPTION_MAX: usize = 20_000;
pub const CRITERION_MAX: usize = 2_000;
pub const OUTCOME_NOTE_MAX: usize = 2_000;
pub const REASON_MAX: usize = 2_000;
pub const URL_MAX: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ActionType {
    Prevent,
    Mitigate,
    Observability,
    Alerting,
    SelfHealing,
    Process,
}

wire_enum!(ActionType, "action type", {
    Prevent => "prevent",
    Mitigate => "mitigate",
    Observability => "observability",
    Alerting => "alerting",
    SelfHealing => "self_healing",
    Process => "process",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Priority {
    P1,
    P2,
    P3,
}

wire_enum!(Priority, "priority", { P1 => "P1", P2 => "P2", P3 => "P3" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

wire_enum!(ActionStatus, "status", {
    Open => "open",
    InProgress => "in_progress",
    Done => "done",
    WontDo => "wont_do",
});

impl ActionStatus {
    /// Statuses an item may move to from `self`. Finished items can only be reopened.
    pub fn next(self) -> &'static [ActionStatus] {
        use ActionStatus::*;
        match self {
            Open => &[InProgress, Done, WontDo],
            InProgress => &[Open, Done, WontDo],
            Done => &[Open],
            WontDo => &[Open],
        }
    }

    pub fn can_move_to(self, to: ActionStatus) -> bool {
        self.next().contains(&to)
    }

    pub fn check_transition(self, to: ActionStatus) -> Result<(), String> {
        if self == to {
            return Err(format!("the action item is already {}", self.label().to_lowercase()));
        }
        if self.can_move_to(to) {
            return Ok(());
        }
        Err(format!(
            "cannot move from {} to {}: reopen the item first",
            self.label().to_lowercase(),
            to.label().to_lowercase()
        ))
    }

    /// Done or won't do: nothing is left to chase.
    pub fn is_finished(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::WontDo)
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Open => "Open",
            ActionStatus::InProgress => "In progress",
            ActionStatus::Done => "Done",
            ActionStatus::WontDo => "Won't do",
        }
    }
}

/// The answer to "did it work?", given some time after the item was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Outcome {
    Worked,
    DidNotWork,
    Unclear,
}

wire_enum!(Outcome, "outcome", { Worked => "worked", DidNotWork => "did_not_work", Unclear => "unclear" });

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Worked => "Worked",
            Outcome::DidNotWork => "Did not work",
            Outcome::Unclear => "Unclear",
        }
    }
}

impl ActionType {
    pub fn label(self) -> &'static str {
        match self {
            ActionType::Prevent => "Fix / prevent",
            ActionType::Mitigate => "Mitigate",
            ActionType::Observability => "Observability",
            ActionType::Alerting => "Alerting",
            ActionType::SelfHealing => "Self-healing",
            ActionType::Process => "Process",
        }
    }
}

/// One changed field of an action item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionChange {
    pub author: UserRef,
    pub at: DateTime<Utc>,
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionItem {
    pub id: i64,
    pub incident_id: i64,
    /// The incident's title and severity, for lists that span incidents.
    pub incident_title: String,
    pub incident_severity: Severity,
    pub title: String,
    /// Markdown.
    pub description: String,
    /// The owner's user id.
    pub owner: i64,
    pub owner_name: String,
    pub due_on: NaiveDate,
    #[serde(rename = "type")]
    pub kind: ActionType,
    pub priority: Priority,
    pub status: ActionStatus,
    /// Why it will not be done (required for `wont_do`).
    pub reason: Option<String>,
    pub tracker_url: Option<String>,
    /// How we will know it worked.
    pub success_criterion: String,
    /// When to ask whether it worked.
    pub check_back_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
    pub outcome_note: String,
    /// Past its due date in the owner's own time zone.
    pub overdue: bool,
    /// Done, its check-back date has come in the owner's zone, and nobody has said whether it worked.
    #[serde(default)]
    pub check_back_due: bool,
    pub version: i32,
    pub created_by: UserRef,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The item whose "did not work" answer this one follows up.
    pub follows: Option<i64>,
    /// Oldest first.
    pub history: Vec<ActionChange>,
}

/// Overdue from the day after the due date, as the owner's calendar reads; finished items never are.
pub fn is_overdue(due_on: NaiveDate, status: ActionStatus, owner_today: NaiveDate) -> bool {
    !status.is_finished() && owner_today > due_on
}

/// The check-back date has come and nobody has said whether the item worked.
pub fn check_back_due(check_back_on: Option<NaiveDate>, outcome: Option<Outcome>, owner_today: NaiveDate) -> bool {
    outcome.is_none() && check_back_on.is_some_and(|d| owner_today >= d)
}

/// At most one digest a day: due when none was sent yet today.
pub fn digest_due(last_sent_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    last_sent_on.is_none_or(|d| d < today)
}

/// The calendar date it is for someone in `tz` at `now`.
#[cfg(feature = "ssr")]
pub fn today_in(tz: chrono_tz::Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// A `YYYY-MM-DD` date.
pub fn date(input: &str) -> Result<NaiveDate, String> {
    let s = input.trim();
    let shaped =
        s.len() == 10 && s.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    if !shaped {
        return Err(format!("{s:?} is not a date: use YYYY-MM-DD, such as 2026-12-31"));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s} is not a day on the calendar"))
}

pub fn title(input: &str) -> Result<String, String> {
    let t = input.trim();
    let n = t.chars().count();
    if n == 0 {
        Err("Say what needs to be done".into())
    } else if n > super::validate::TITLE_MAX {
        Err(format!(
            "Keep the title under {} characters (it has {n}); put detail in the description",
            super::validate::TITLE_MAX
        ))
    } else {
        Ok(t.to_string())
    }
}

fn bounded(input: &str, max: usize, what: &str) -> Result<String, String> {
    let t = input.trim();
    if t.chars().count() > max {
        return Err(format!("The {what} is limited to {max} characters"));
    }
    Ok(t.to_string())
}

pub fn description(input: &str) -> Result<String, String> {
    bounded(input, DESCRIPTION_MAX, "description")
}

pub fn success_criterion(input: &str) -> Result<String, String> {
    bounded(input, CRITERION_MAX, "success criterion")
}

pub fn outcome_note(input: &str) -> Result<String, String> {
    bounded(input, OUTCOME_NOTE_MAX, "note")
}

pub fn reason(input: &str) -> Result<String, String> {
    bounded(input, REASON_MAX, "reason")
}

/// A link to the item in an issue tracker; empty for none.
pub fn tracker_url(input: &str) -> Result<Option<String>, String> {
    let t = input.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let lower = t.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    if rest.is_some_and(|r| !r.is_empty()) && t.len() <= URL_MAX && !t.contains(char::is_whitespace) {
        Ok(Some(t.to_string()))
    } else {
        Err("Enter an http:// or https:// link to the ticket".into())
    }
}

/// The fields that differ between two states of an item, as (field, from, to).
pub fn changes(before: &ActionItem, after: &ActionItem) -> Vec<(&'static str, Option<String>, Option<String>)> {
    fn text(s: &str) -> Option<String> {
        Some(s.to_string()).filter(|s| !s.is_empty())
    }
    fn date(d: Option<NaiveDate>) -> Option<String> {
        d.map(|d| d.to_string())
    }
    fn entry(
        field: &'static str,
        from: Option<String>,
        to: Option<String>,
    ) -> Option<(&'static str, Option<String>, Option<String>)> {
        (from != to).then_some((field, from, to))
    }
    // The owner is compared by id: two people may share a name.
    let owner = (before.owner != after.owner)
        .then(|| ("owner", Some(before.owner_name.clone()), Some(after.owner_name.clone())));
    [
        entry("title", text(&before.title), text(&after.title)),
        entry("description", text(&before.description), text(&after.description)),
        owner,
        entry("due_on", date(Some(before.due_on)), date(Some(after.due_on))),
        entry("type", Some(before.kind.to_string()), Some(after.kind.to_string())),
        entry("priority", Some(before.priority.to_string()), Some(after.priority.to_string())),
        entry("status", Some(before.status.to_string()), Some(after.status.to_string())),
        entry("reason", before.reason.clone(), after.reason.clone()),
        entry("tracker_url", before.tracker_url.clone(), after.tracker_url.clone()),
        entry("success_criterion", text(&before.success_criterion), text(&after.success_criterion)),
        entry("check_back_on", date(before.check_back_on), date(after.check_back_on)),
        entry("outcome", before.outcome.map(|o| o.to_string()), after.outcome.map(|o| o.to_string())),
        entry("outcome_note", text(&before.outcome_note), text(&after.outcome_note)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What a follow-up to an item that did not work starts as: the same aim, owner, type and priority,
/// a description that says what it follows and why, and two weeks (in the owner's calendar) to do it.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpDraft {
    pub title: String,
    pub description: String,
    pub due_on: NaiveDate,
    pub success_criterion: String,
}

pub const FOLLOW_UP_DAYS: i64 = 14;

/// `None` unless the item is done and its check-back said it did not work.
pub fn follow_up_draft(item: &ActionItem, owner_today: NaiveDate) -> Option<FollowUpDraft> {
    if item.status != ActionStatus::Done || item.outcome != Some(Outcome::DidNotWork) {
        return None;
    }
    let max = super::validate::TITLE_MAX;
    let mut title = format!("Follow up: {}", item.title);
    if title.chars().count() > max {
        title = title.chars().take(max - 1).collect::<String>() + "…";
    }
    let mut description = format!("Follows up action item #{} (\"{}\"), which did not work.", item.id, item.title);
    if !item.outcome_note.is_empty() {
        description.push_str("\n\nWhat the check-back found:\n\n");
        description.extend(item.outcome_note.lines().map(|l| format!("> {l}\n")));
    }
    let description: String = description.chars().take(DESCRIPTION_MAX).collect();
    Some(FollowUpDraft {
        title,
        description,
        due_on: owner_today + chrono::Duration::days(FOLLOW_UP_DAYS),
        success_criterion: item.success_criterion.clone(),
    })
}

/// A history entry's field name and value as people read them: "status", "Won't do".
pub fn readable_change(field: &str, value: &str) -> (String, String) {
    let value = match field {
        "status" => value.parse::<ActionStatus>().map(|s| s.label().to_string()).ok(),
        "type" => value.parse::<ActionType>().map(|t| t.label().to_string()).ok(),
        "outcome" => value.parse::<Outcome>().map(|o| o.label().to_string()).ok(),
        _ => None,
    }
    .unwrap_or_else(|| value.to_string());
    let field = match field {
        "due_on" => "due date".to_string(),
        "tracker_url" => "tracker link".to_string(),
        "check_back_on" => "check-back date".to_string(),
        "outcome_note" => "check-back note".to_string(),
        other => other.replace('_', " "),
    };
    (field, value)
}

/// The item as a row of the postmortem's exported action table.
pub fn export_row(item: &ActionItem) -> super::export::ActionRow {
    super::export::ActionRow {
        title: item.title.clone(),
        owner: Some(item.owner_name.clone()),
        due_on: Some(item.due_on),
        status: item.status.label().to_string(),
        priority: item.priority.to_string(),
        outcome: item.outcome.map(|o| match item.outcome_note.as_str() {
            "" => o.label().to_string(),
            note => format!("{}: {note}", o.label()),
        }),
    }
}

/// How a set of action items stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionCounts {
    pub total: usize,
    pub open: usize,
    pub in_progress: usize,
    pub done: usize,
    pub wont_do: usize,
    pub overdue: usize,
    /// Done out of those still meant to be done (won't-do items are left out); `None` when there are none.
    pub completion_rate: Option<f64>,
}

pub fn counts<'a>(items: impl IntoIterator<Item = &'a ActionItem>) -> ActionCounts {
    tally(items.into_iter().map(|i| (i.status, i.overdue, 1)))
}

/// Figures from groups of items: (status, overdue, how many) — as the database counts them.
pub fn tally(groups: impl IntoIterator<Item = (ActionStatus, bool, usize)>) -> ActionCounts {
    let mut c = ActionCounts::default();
    for (status, overdue, n) in groups {
        c.total += n;
        if overdue {
            c.overdue += n;
        }
        match status {
            ActionStatus::Open => c.open += n,
            ActionStatus::InProgress => c.in_progress += n,
            ActionStatus::Done => c.done += n,
            ActionStatus::WontDo => c.wont_do += n,
        }
    }
    let meant = c.total - c.wont_do;
    c.completion_rate = (meant > 0).then(|| c.done as f64 / meant as f64);
    c
}

/// Counts per incident id.
pub fn counts_by_incident(items: &[ActionItem]) -> BTreeMap<i64, ActionCounts> {
    let mut groups: BTreeMap<i64, Vec<&ActionItem>> = BTreeMap::new();
    for item in items {
        groups.entry(item.incident_id).or_default().push(item);
    }
    groups.into_iter().map(|(id, items)| (id, counts(items))).collect()
}

/// Per-incident figures in the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentCounts {
    pub incident_id: i64,
    pub title: String,
    pub counts: ActionCounts,
}

/// A list of items with its figures and what the filter and create forms offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionList {
    /// One page of the list; `counts` and `by_incident` are the whole list's.
    pub items: Vec<ActionItem>,
    /// The next page's cursor.
    pub next: Option<String>,
    pub counts: ActionCounts,
    pub by_incident: Vec<IncidentCounts>,
    /// The teams there are (the filter's choices; empty unless asked for). Owners are typed, never
    /// listed, so the page does not grow with the organisation.
    pub teams: Vec<String>,
    pub me: User,
}

/// One change as the item page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRow {
    pub change: ActionChange,
    pub at: Stamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionPage {
    pub item: ActionItem,
    /// The description as sanitised HTML.
    pub description_html: String,
    pub created: Stamp,
    pub history: Vec<ChangeRow>,
    pub follow_ups: Vec<i64>,
    pub me: User,
}

/// A plain open item for tests to adjust with struct update syntax.
#[cfg(test)]
impl ActionItem {
    pub(crate) fn sample() -> ActionItem {
        let t = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap();
        ActionItem {
            id: 1,
            incident_id: 7,
            incident_title: "Checkout down".into(),
            incident_severity: Severity::Sev2,
            title: "Add a canary".into(),
            description: String::new(),
            owner: 1,
            owner_name: "Ada".into(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            kind: ActionType::Prevent,
            priority: Priority::P2,
            status: ActionStatus::Open,
            reason: None,
            tracker_url: None,
            success_criterion: String::new(),
            check_back_on: None,
            outcome: None,
            outcome_note: String::new(),
            overdue: false,
            check_back_due: false,
            version: 1,
            created_by: UserRef { id: 1, name: "Ada".into() },
            created_at: t,
            updated_at: t,
            follows: None,
            history: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionStatus::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn item(incident_id: i64, status: ActionStatus, overdue: bool) -> ActionItem {
        ActionItem { incident_id, status, overdue, ..ActionItem::sample() }
    }

    #[test]
    fn follow_ups_only_come_from_items_that_did_not_work() {
        let today = d("2026-11-23");
        let mut it = item(4, Done, false);
        it.id = 12;
        it.success_criterion = "p99 alerts fire within 2 minutes".into();
        assert_eq!(follow_up_draft(&it, today), None, "no answer yet");
        it.outcome = Some(Outcome::Worked);
        assert_eq!(follow_up_draft(&it, today), None);
        it.outcome = Some(Outcome::DidNotWork);
        it.outcome_note = "Fired after 9 minutes.\nStill too slow.".into();
        let draft = follow_up_draft(&it, today).unwrap();
        assert_eq!(draft.title, "Follow up: Add a canary");
        assert_eq!(draft.due_on, d("2026-12-07"));
        assert_eq!(draft.success_criterion, it.success_criterion);
        assert!(draft.description.starts_with("Follows up action item #12"), "{}", draft.description);
        assert!(draft.description.ends_with("> Fired after 9 minutes.\n> Still too slow.\n"), "{}", draft.description);
        it.status = Open;
        assert_eq!(follow_up_draft(&it, today), None, "reopened items are not followed up");

        it.status = Done;
        it.title = "x".repeat(crate::domain::validate::TITLE_MAX);
        let long = follow_up_draft(&it, today).unwrap();
        assert_eq!(long.title.chars().count(), crate::domain::validate::TITLE_MAX);
        assert!(title(&long.title).is_ok());
    }

    #[test]
    fn history_reads_as_words() {
        assert_eq!(readable_change("status", "wont_do"), ("status".into(), "Won't do".into()));
        assert_eq!(readable_change("type", "self_healing"), ("type".into(), "Self-healing".into()));
        assert_eq!(readable_change("outcome", "did_not_work"), ("outcome".into(), "Did not work".into()));
        assert_eq!(readable_change("due_on", "2026-12-01"), ("due date".into(), "2026-12-01".into()));
        assert_eq!(readable_change("success_criterion", "p99"), ("success criterion".into(), "p99".into()));
    }

    #[test]
    fn wire_names_round_trip() {
        for t in ActionType::ALL {
            assert_eq!(t.as_str().parse::<ActionType>().unwrap(), *t);
            assert_eq!(serde_json::to_string(t).unwrap(), format!("\"{}\"", t.as_str()));
        }
        for s in ActionStatus::ALL {
            assert_eq!(s.as_str().parse::<ActionStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for o in Outcome::ALL {
            assert_eq!(serde_json::to_string(o).unwrap(), format!("\"{}\"", o.as_str()));
        }
        assert_eq!(serde_json::to_string(&Priority::P1).unwrap(), "\"P1\"");
        assert_eq!("p3".parse::<Priority>(), Ok(Priority::P3));
        assert!("P4".parse::<Priority>().unwrap_err().contains("P1, P2, P3"));
        assert_eq!(ActionType::SelfHealing.as_str(), "self_healing");
    }

    #[test]
    fn status_transitions() {
        assert!(Open.can_move_to(InProgress) && Open.can_move_to(Done) && Open.can_move_to(WontDo));
        assert!(InProgress.can_move_to(Open) && InProgress.can_move_to(Done) && InProgress.can_move_to(WontDo));
        assert_eq!(Done.next(), &[Open], "done can only be reopened");
        assert_eq!(WontDo.next(), &[Open]);
        assert!(Done.check_transition(WontDo).unwrap_err().contains("reopen"));
        assert!(WontDo.check_transition(Done).is_err());
        assert!(Open.check_transition(Open).unwrap_err().contains("already"));
    }

    #[test]
    fn overdue_starts_the_day_after_the_due_date() {
        let due = d("2026-11-23");
        assert!(!is_overdue(due, Open, d("2026-11-22")));
        assert!(!is_overdue(due, Open, due), "due today is not overdue yet");
        assert!(is_overdue(due, Open, d("2026-11-24")));
        assert!(is_overdue(due, InProgress, d("2026-11-24")));
        assert!(!is_overdue(due, Done, d("2027-01-01")));
        assert!(!is_overdue(due, WontDo, d("2027-01-01")));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn overdue_follows_the_owner_calendar_around_utc_midnight() {
        use chrono::TimeZone;
        let tonga: chrono_tz::Tz = "Pacific/Tongatapu".parse().unwrap();
        let honolulu: chrono_tz::Tz = "Pacific/Honolulu".parse().unwrap();
        let due = d("2026-11-23");
        // 11:30 UTC on the due date: already the 24th in Tonga (UTC+13), still the 23rd in Honolulu (UTC-10).
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 11, 30, 0).unwrap();
        assert_eq!(today_in(tonga, late), d("2026-11-24"));
        assert_eq!(today_in(honolulu, late), d("2026-11-23"));
        assert!(is_overdue(due, Open, today_in(tonga, late)));
        assert!(!is_overdue(due, Open, today_in(honolulu, late)));
        // Just before midnight UTC on the 23rd: Honolulu is still on the 23rd at 13:59.
        let before_midnight = Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 0).unwrap();
        assert!(!is_overdue(due, Open, today_in(honolulu, before_midnight)));
        assert!(!is_overdue(due, Open, today_in(chrono_tz::UTC, before_midnight)));
        // Just after midnight UTC: UTC sees the 24th, Honolulu still the 23rd until 10:00 UTC.
        let after_midnight = Utc.with_ymd_and_hms(2026, 11, 24, 0, 1, 0).unwrap();
        assert!(is_overdue(due, Open, today_in(chrono_tz::UTC, after_midnight)));
        assert!(!is_overdue(due, Open, today_in(honolulu, after_midnight)));
        assert!(is_overdue(due, Open, today_in(honolulu, Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap())));
        // Tonga reached the 24th at 11:00 UTC on the 23rd.
        assert!(!is_overdue(due, Open, today_in(tonga, Utc.with_ymd_and_hms(2026, 11, 23, 10, 59, 0).unwrap())));
    }

    #[test]
    fn check_back_is_due_from_its_date_until_answered() {
        let on = Some(d("2026-12-10"));
        assert!(!check_back_due(on, None, d("2026-12-09")));
        assert!(check_back_due(on, None, d("2026-12-10")));
        assert!(check_back_due(on, None, d("2027-01-10")));
        assert!(!check_back_due(on, Some(Outcome::Worked), d("2026-12-10")));
        assert!(!check_back_due(None, None, d("2026-12-10")));
    }

    #[test]
    fn digest_is_due_once_a_day() {
        let today = d("2026-11-23");
        assert!(digest_due(None, today));
        assert!(digest_due(Some(d("2026-11-22")), today));
        assert!(!digest_due(Some(today), today));
        assert!(!digest_due(Some(d("2026-11-24")), today), "a clock that went back does not resend");
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(date(" 2026-12-31 ").unwrap(), d("2026-12-31"));
        assert!(date("2026-02-30").unwrap_err().contains("not a day"));
        assert!(date("31/12/2026").unwrap_err().contains("YYYY-MM-DD"));
        assert!(date("2026-1-5").unwrap_err().contains("YYYY-MM-DD"));
        assert!(date("").is_err());
    }

    #[test]
    fn tracker_urls_are_http_only() {
        assert_eq!(tracker_url(" https://jira.example/OPS-1 ").unwrap().as_deref(), Some("https://jira.example/OPS-1"));
        assert_eq!(tracker_url("").unwrap(), None);
        assert!(tracker_url("javascript:alert(1)").is_err());
        assert!(tracker_url("ftp://x.example").is_err());
        assert!(tracker_url("https://").is_err());
        assert!(tracker_url("https://x.example/a b").is_err());
    }

    #[test]
    fn text_limits() {
        assert!(title("  ").is_err());
        assert!(title(&"x".repeat(201)).is_err());
        assert_eq!(title(" Add a canary ").unwrap(), "Add a canary");
        assert!(description(&"x".repeat(DESCRIPTION_MAX + 1)).is_err());
        assert!(success_criterion(&"x".repeat(CRITERION_MAX + 1)).is_err());
    }

    #[test]
    fn changes_list_each_field_once() {
        let before = item(1, Open, false);
        let mut after = before.clone();
        assert!(changes(&before, &after).is_empty());
        after.status = WontDo;
        after.reason = Some("not worth it".into());
        after.owner = 2;
        after.owner_name = "Grace".into();
        let c = changes(&before, &after);
        assert_eq!(
            c,
            vec![
                ("owner", Some("Ada".into()), Some("Grace".into())),
                ("status", Some("open".into()), Some("wont_do".into())),
                ("reason", None, Some("not worth it".into())),
            ]
        );
    }

    #[test]
    fn counts_and_completion_rate() {
        assert_eq!(counts(&[]).completion_rate, None);
        let items = vec![
            item(1, Done, false),
            item(1, Open, true),
            item(1, WontDo, false),
            item(2, Done, false),
            item(2, Done, false),
        ];
        let all = counts(&items);
        assert_eq!((all.total, all.done, all.open, all.wont_do, all.overdue), (5, 3, 1, 1, 1));
        assert_eq!(all.completion_rate, Some(0.75));
        let per = counts_by_incident(&items);
        assert_eq!(per[&1].completion_rate, Some(0.5));
        assert_eq!(per[&2].completion_rate, Some(1.0));
        assert_eq!(counts(&[item(3, WontDo, false)]).completion_rate, None);
    }
}
