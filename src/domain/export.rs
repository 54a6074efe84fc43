//! Markdown export of a postmortem: YAML front matter, then the sections as GitHub-flavoured
//! Markdown. Deterministic: the same input always gives the same bytes.

use super::postmortem::{ContributingFactor, PostmortemStatus, Section, TimelineLine};
use super::types::{incident_ref, Incident};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// One follow-up as it appears in the exported action table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRow {
    pub title: String,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub status: String,
    pub priority: String,
    pub outcome: Option<String>,
}

pub struct ExportInput<'a> {
    pub incident: &'a Incident,
    pub status: PostmortemStatus,
    /// In template order.
    pub sections: &'a [Section],
    /// The key events chosen for the write-up, in any order.
    pub timeline: &'a [TimelineLine],
    /// Shown under the Detection heading when known.
    pub time_to_detect: Option<Duration>,
    /// In the order they were added.
    pub factors: &'a [ContributingFactor],
    pub actions: &'a [ActionRow],
    /// People who edited sections, in any order and possibly repeated.
    pub authors: &'a [String],
    pub published_at: Option<DateTime<Utc>>,
}

const NOT_WRITTEN: &str = "_Not written yet._";
const NO_TIMELINE: &str = "_No timeline events yet._";
const NO_ACTIONS: &str = "_No action items yet._";
const MISSING: &str = "—";

pub fn export_markdown(input: &ExportInput) -> String {
    let inc = input.incident;
    let mut blocks = vec![front_matter(input), format!("# {}: {}", incident_ref(inc.id), one_line(&inc.title))];
    for s in input.sections {
        blocks.push(format!("## {}", one_line(&s.title)));
        let body = s.body.trim();
        let generated = match s.key.as_str() {
            "timeline" => Some(timeline_table(input.timeline)),
            "action_items" => Some(actions_table(input.actions)),
            "detection" => input.time_to_detect.map(|d| format!("Time to detect: {}", super::time::format_duration(d))),
            "contributing_factors" => factors_table(input.factors),
            _ => None,
        };
        match (generated, body.is_empty()) {
            (Some(table), true) => blocks.push(table),
            (Some(table), false) => blocks.extend([table, body.to_string()]),
            (None, true) => blocks.push(NOT_WRITTEN.to_string()),
            (None, false) => blocks.push(body.to_string()),
        }
    }
    // A template without an action-items section still shows the follow-ups that exist.
    if !input.actions.is_empty() && !input.sections.iter().any(|s| s.key == "action_items") {
        blocks.extend(["## Action items".to_string(), actions_table(input.actions)]);
    }
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

fn front_matter(input: &ExportInput) -> String {
    let inc = input.incident;
    let mut authors: Vec<&str> = input.authors.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect();
    authors.sort_unstable();
    authors.dedup();
    let lines = [
        "---".to_string(),
        format!("ref: {}", yaml_str(&incident_ref(inc.id))),
        format!("title: {}", yaml_str(&inc.title)),
        format!("severity: {}", inc.severity.as_str()),
        format!("status: {}", inc.status.as_str()),
        format!("postmortem: {}", input.status.as_str()),
        format!("started: {}", rfc3339(inc.started_at)),
        format!("resolved: {}", inc.resolved_at.map_or("null".into(), rfc3339)),
        format!("published: {}", input.published_at.map_or("null".into(), rfc3339)),
        format!("services: {}", yaml_list(inc.services.iter().map(String::as_str))),
        format!("authors: {}", yaml_list(authors)),
        "---".to_string(),
    ];
    lines.join("\n")
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A YAML double-quoted scalar: safe whatever the text holds (`:`, `#`, quotes, newlines…).
fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn yaml_list<'s>(items: impl IntoIterator<Item = &'s str>) -> String {
    let items: Vec<String> = items.into_iter().map(yaml_str).collect();
    format!("[{}]", items.join(", "))
}

/// Collapses line breaks into single spaces and trims: for headings and table cells.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

fn cell(s: &str) -> String {
    let text = one_line(s).replace('|', "\\|");
    if text.is_empty() {
        MISSING.to_string()
    } else {
        text
    }
}

fn opt_cell(s: Option<&str>) -> String {
    cell(s.unwrap_or_default())
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut lines = vec![format!("| {} |", header.join(" | ")), format!("|{}", " --- |".repeat(header.len()))];
    lines.extend(rows.iter().map(|r| format!("| {} |", r.join(" | "))));
    lines.join("\n")
}

fn timeline_table(timeline: &[TimelineLine]) -> String {
    if timeline.is_empty() {
        return NO_TIMELINE.to_string();
    }
    let mut lines: Vec<&TimelineLine> = timeline.iter().collect();
    lines.sort_by_key(|l| l.at);
    let rows = lines.iter().map(|l| vec![l.at.format("%Y-%m-%d %H:%M:%S").to_string(), cell(&l.text)]).collect();
    table(&["Time (UTC)", "Event"], rows)
}

fn factors_table(factors: &[ContributingFactor]) -> Option<String> {
    if factors.is_empty() {
        return None;
    }
    let rows = factors.iter().map(|f| vec![cell(&f.factor), f.category.label().to_string()]).collect();
    Some(table(&["Factor", "Category"], rows))
}

fn actions_table(actions: &[ActionRow]) -> String {
    if actions.is_empty() {
        return NO_ACTIONS.to_string();
    }
    let rows = actions
        .iter()
        .map(|a| {
            vec![
                cell(&a.title),
                opt_cell(a.owner.as_deref()),
                a.due_on.map_or(MISSING.to_string(), |d| d.format("%Y-%m-%d").to_string()),
                cell(&a.priority),
                cell(&a.status),
                opt_cell(a.outcome.as_deref()),
            ]
        })
        .collect();
    table(&["Action", "Owner", "Due", "Priority", "Status", "Outcome"], rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::postmortem::{default_template, FactorCategory};
    use crate::domain::{IncidentStatus, Severity, UserRef};
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 14, h, m, s).unwrap()
    }

    fn incident(title: &str) -> Incident {
        Incident {
            id: 42,
            reference: incident_ref(42),
            title: title.into(),
            severity: Severity::Sev2,
            status: IncidentStatus::Resolved,
            summary: String::new(),
            services: vec!["checkout".into(), "payments-api".into()],
            started_at: at(9, 5, 0),
            declared_at: at(9, 7, 30),
            resolved_at: Some(at(10, 40, 15)),
            declared_by: UserRef { id: 1, name: "Ada".into() },
            commander: None,
            comms_lead: None,
            scribe: None,
            private: false,
            participants: vec![],
            version: 3,
            source: None,
            detected_at: None,
            declined_at: None,
            milestones: None,
            url: "/incidents/INC-42".into(),
        }
    }

    /// The template's sections (those whose key is in `keys`, or all when empty) with the given bodies.
    fn sections(keys: &[&str], bodies: &[(&str, &str)]) -> Vec<Section> {
        default_template()
            .into_iter()
            .filter(|t| keys.is_empty() || keys.contains(&t.key.as_str()))
            .map(|t| Section {
                body: bodies.iter().find(|(k, _)| *k == t.key).map_or(String::new(), |(_, b)| b.to_string()),
                key: t.key,
                title: t.title,
                guidance: t.guidance,
                required: t.required,
                version: 1,
                updated_at: None,
                updated_by: None,
            })
            .collect()
    }

    fn line(at: DateTime<Utc>, text: &str) -> TimelineLine {
        TimelineLine { at, kind: "note".into(), text: text.into() }
    }

    fn action(title: &str) -> ActionRow {
        ActionRow {
            title: title.into(),
            owner: None,
            due_on: None,
            status: "open".into(),
            priority: "medium".into(),
            outcome: None,
        }
    }

    fn input<'a>(
        incident: &'a Incident,
        sections: &'a [Section],
        timeline: &'a [TimelineLine],
        actions: &'a [ActionRow],
        authors: &'a [String],
    ) -> ExportInput<'a> {
        ExportInput {
            incident,
            status: PostmortemStatus::Published,
            sections,
            timeline,
            time_to_detect: None,
            factors: &[],
            actions,
            authors,
            published_at: Some(at(16, 0, 0)),
        }
    }

    #[test]
    fn action_items_show_even_when_the_template_has_no_section_for_them() {
        let inc = incident("Checkout down");
        let secs = sections(&["summary"], &[("summary", "It broke.")]);
        let actions = [action("Alert on 5xx")];
        let out = export_markdown(&input(&inc, &secs, &[], &actions, &[]));
        assert!(out.ends_with("## Action items\n\n| Action | Owner | Due | Priority | Status | Outcome |\n| --- | --- | --- | --- | --- | --- |\n| Alert on 5xx | — | — | medium | open | — |\n"), "{out}");
        let none = export_markdown(&input(&inc, &secs, &[], &[], &[]));
        assert!(!none.contains("## Action items"), "{none}");
    }

    #[test]
    fn full_export_snapshot() {
        let inc = incident("Checkout errors after deploy");
        let secs = sections(
            &["summary", "impact", "detection", "timeline", "contributing_factors", "action_items"],
            &[
                ("summary", "\n  Checkout failed for **12%** of requests.\n\n- retries helped\n  "),
                ("action_items", "See the tracker for details."),
            ],
        );
        let timeline = [line(at(9, 20, 0), "Deploy rolled back"), line(at(9, 5, 0), "Error rate alert fired")];
        let actions = [
            ActionRow {
                title: "Add canary for checkout".into(),
                owner: Some("Grace".into()),
                due_on: NaiveDate::from_ymd_opt(2026, 4, 1),
                status: "done".into(),
                priority: "high".into(),
                outcome: Some("Canary live".into()),
            },
            action("Alert on p99 latency"),
        ];
        let authors = ["Grace".to_string(), "Ada".to_string(), "Grace".to_string()];
        let factors = [
            ContributingFactor {
                id: 1,
                factor: "No canary stage for config pushes".into(),
                category: FactorCategory::Process,
            },
            ContributingFactor {
                id: 2,
                factor: "Payment provider | retries\namplified load".into(),
                category: FactorCategory::ExternalDependency,
            },
        ];
        let mut full = input(&inc, &secs, &timeline, &actions, &authors);
        full.time_to_detect = Some(Duration::seconds(12 * 60 + 30));
        full.factors = &factors;
        let got = export_markdown(&full);
        let expected = r#"---
ref: "INC-42"
title: "Checkout errors after deploy"
severity: SEV2
status: resolved
postmortem: published
started: 2026-03-14T09:05:00Z
resolved: 2026-03-14T10:40:15Z
published: 2026-03-14T16:00:00Z
services: ["checkout", "payments-api"]
authors: ["Ada", "Grace"]
---

# INC-42: Checkout errors after deploy

## Summary

Checkout failed for **12%** of requests.

- retries helped

## Impact

_Not written yet._

## Detection

Time to detect: 12m 30s

## Timeline

| Time (UTC) | Event |
| --- | --- |
| 2026-03-14 09:05:00 | Error rate alert fired |
| 2026-03-14 09:20:00 | Deploy rolled back |

## Contributing factors

| Factor | Category |
| --- | --- |
| No canary stage for config pushes | Process |
| Payment provider \| retries amplified load | External dependency |

## Action items

| Action | Owner | Due | Priority | Status | Outcome |
| --- | --- | --- | --- | --- | --- |
| Add canary for checkout | Grace | 2026-04-01 | high | done | Canary live |
| Alert on p99 latency | — | — | medium | open | — |

See the tracker for details.
"#;
        assert_eq!(got, expected);
    }

    #[test]
    fn export_is_deterministic() {
        let inc = incident("Outage");
        let secs = sections(&[], &[("summary", "Short.")]);
        let timeline = [line(at(9, 0, 0), "b"), line(at(9, 0, 0), "a")];
        let actions = [action("Fix")];
        let authors = ["Zed".to_string(), "Ada".to_string()];
        let input = input(&inc, &secs, &timeline, &actions, &authors);
        assert_eq!(export_markdown(&input), export_markdown(&input));
    }

    #[test]
    fn hostile_title_is_quoted_in_yaml_and_kept_on_one_line_in_the_heading() {
        let inc = Incident {
            resolved_at: None,
            services: vec!["- odd: svc".into()],
            ..incident("Title: with \"quotes\" # and\nnewline")
        };
        let mut input = input(&inc, &[], &[], &[], &[]);
        input.published_at = None;
        input.status = PostmortemStatus::Draft;
        let out = export_markdown(&input);
        assert!(out.contains("\ntitle: \"Title: with \\\"quotes\\\" # and\\nnewline\"\n"));
        assert!(out.contains("\nresolved: null\npublished: null\n"));
        assert!(out.contains("\npostmortem: draft\n"));
        assert!(out.contains("\nservices: [\"- odd: svc\"]\nauthors: []\n---\n"));
        assert!(out.contains("\n# INC-42: Title: with \"quotes\" # and newline\n"));
        assert_eq!(yaml_str("a\\b\t\u{7}"), "\"a\\\\b\\t\\u0007\"");
    }

    #[test]
    fn table_cells_escape_pipes_and_newlines() {
        let inc = incident("Outage");
        let secs = sections(&["timeline", "action_items"], &[]);
        let timeline = [line(at(9, 0, 0), "a | b\r\nsecond line\n")];
        let actions = [ActionRow { owner: Some(" Ada\n| Grace ".into()), ..action("Fix | this\nnow") }];
        let out = export_markdown(&input(&inc, &secs, &timeline, &actions, &[]));
        assert!(out.contains("| 2026-03-14 09:00:00 | a \\| b second line |\n"));
        assert!(out.contains("| Fix \\| this now | Ada \\| Grace | — | medium | open | — |\n"));
        assert!(!out.contains("<br>"));
    }

    #[test]
    fn timeline_is_sorted_by_time_keeping_ties_in_order() {
        let inc = incident("Outage");
        let secs = sections(&["timeline"], &[("timeline", "Times are approximate.")]);
        let timeline = [
            line(at(11, 0, 0), "third"),
            line(at(9, 0, 0), "first"),
            line(at(10, 0, 0), "second (a)"),
            line(at(10, 0, 0), "second (b)"),
        ];
        let out = export_markdown(&input(&inc, &secs, &timeline, &[], &[]));
        let pos = |s: &str| out.find(s).unwrap();
        assert!(pos("first") < pos("second (a)"));
        assert!(pos("second (a)") < pos("second (b)"));
        assert!(pos("second (b)") < pos("third"));
        assert!(out.ends_with("| third |\n\nTimes are approximate.\n"));
    }

    #[test]
    fn empty_sections_and_tables_have_placeholders() {
        let inc = incident("Outage");
        let secs = sections(&["summary", "timeline", "action_items"], &[("summary", "  \n ")]);
        let out = export_markdown(&input(&inc, &secs, &[], &[], &[]));
        assert!(out.ends_with(
            "## Summary\n\n_Not written yet._\n\n## Timeline\n\n_No timeline events yet._\n\n\
             ## Action items\n\n_No action items yet._\n"
        ));
        assert!(!out.ends_with("\n\n"));
    }

    #[test]
    fn sections_follow_the_given_order() {
        let inc = incident("Outage");
        let mut secs = sections(&[], &[]);
        let headings = |secs: &[Section]| -> Vec<String> {
            export_markdown(&input(&inc, secs, &[], &[], &[]))
                .lines()
                .filter_map(|l| l.strip_prefix("## ").map(String::from))
                .collect()
        };
        let titles: Vec<String> = default_template().into_iter().map(|t| t.title).collect();
        assert_eq!(headings(&secs), titles);
        secs.reverse();
        let reversed: Vec<String> = titles.into_iter().rev().collect();
        assert_eq!(headings(&secs), reversed);
    }

    #[test]
    fn detection_and_factors_sit_before_the_written_body() {
        let inc = incident("Outage");
        let secs = sections(
            &["detection", "contributing_factors"],
            &[("detection", "A customer told us."), ("contributing_factors", "More in the appendix.")],
        );
        let factors = [ContributingFactor {
            id: 7,
            factor: "Disk alerts were muted".into(),
            category: FactorCategory::Technology,
        }];
        let mut with = input(&inc, &secs, &[], &[], &[]);
        with.time_to_detect = Some(Duration::seconds(45));
        with.factors = &factors;
        assert!(export_markdown(&with).ends_with(
            "## Detection\n\nTime to detect: 45s\n\nA customer told us.\n\n## Contributing factors\n\n\
             | Factor | Category |\n| --- | --- |\n| Disk alerts were muted | Technology |\n\nMore in the appendix.\n"
        ));
        let secs = sections(&["detection", "contributing_factors"], &[]);
        let without = export_markdown(&input(&inc, &secs, &[], &[], &[]));
        assert!(
            without.ends_with("## Detection\n\n_Not written yet._\n\n## Contributing factors\n\n_Not written yet._\n")
        );
    }
}

/// One CSV row (RFC 4180): every field quoted, quotes doubled. A field a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading `'`, so user text in an
/// export never becomes a formula on someone's machine.
pub fn csv_row<S: AsRef<str>>(fields: &[S]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            let f = f.as_ref();
            let guard = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) { "'" } else { "" };
            format!("\"{guard}{}\"", f.replace('"', "\"\""))
        })
        .collect();
    cells.join(",") + "\r\n"
}

#[cfg(test)]
mod csv_tests {
    use super::csv_row;

    #[test]
    fn csv_quotes_everything_and_defuses_formulas() {
        assert_eq!(csv_row(&["a", "b \"c\"", ""]), "\"a\",\"b \"\"c\"\"\",\"\"\r\n");
        assert_eq!(
            csv_row(&["=HYPERLINK(\"x\")", "-1", "@SUM", "line\nbreak"]),
            "\"'=HYPERLINK(\"\"x\"\")\",\"'-1\",\"'@SUM\",\"line\nbreak\"\r\n"
        );
    }
}
