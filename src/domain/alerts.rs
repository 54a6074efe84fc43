//! Alerts from monitoring. Alertmanager's webhook and the generic webhook are both read into one
//! `AlertBatch`; the admins' `AlertRules` turn labels into a severity and services.

use super::incident::{wire_enum, Severity};
use super::validate::{self, check, FieldErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum IntegrationKind {
    Alertmanager,
    Generic,
}

wire_enum!(IntegrationKind, "integration kind", { Alertmanager => "alertmanager", Generic => "generic" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

wire_enum!(AlertStatus, "alert status", { Firing => "firing", Resolved => "resolved" });

/// An alert source as admins see it; its token is shown only once, when it is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Integration {
    pub id: i64,
    pub kind: IntegrationKind,
    pub name: String,
    pub created_by: super::UserRef,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The answer that creates an integration: the only time its token is seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewIntegration {
    pub id: i64,
    pub kind: IntegrationKind,
    pub name: String,
    pub token: String,
}

/// What one notification did: the incident it opened or joined, and how many alert states were new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Intake {
    pub incident: Option<String>,
    pub opened: bool,
    pub recorded: usize,
    pub duplicates: usize,
    /// Resolved alerts whose firing was never seen, so there was nothing to attach them to.
    pub ignored: usize,
}

pub type Labels = BTreeMap<String, String>;

/// One alert in one state. `(fingerprint, starts_at, status)` identifies it: a repeat has the same three.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub fingerprint: String,
    pub status: AlertStatus,
    pub starts_at: DateTime<Utc>,
    /// When it resolved (for a resolved alert).
    pub ends_at: Option<DateTime<Utc>>,
    pub labels: Labels,
    pub summary: String,
    pub source_url: Option<String>,
}

/// One notification: the alerts of one group, and the title an incident opened by it gets.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertBatch {
    pub group_key: String,
    pub title: String,
    pub alerts: Vec<Alert>,
    /// A severity the sender chose (the generic webhook's `severity`), before the rules.
    pub severity: Option<String>,
    /// Services the sender named (the generic webhook), besides those the rules read from labels.
    pub services: Vec<String>,
    pub description: String,
}

/// Longest group key or fingerprint kept; Alertmanager's are far shorter.
const KEY_MAX: usize = 1_000;
const ALERTS_MAX: usize = 1_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmPayload {
    version: String,
    group_key: String,
    #[serde(default)]
    common_labels: Labels,
    #[serde(default)]
    common_annotations: Labels,
    #[serde(default)]
    group_labels: Labels,
    alerts: Vec<AmAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmAlert {
    status: String,
    #[serde(default)]
    labels: Labels,
    #[serde(default)]
    annotations: Labels,
    starts_at: DateTime<Utc>,
    #[serde(default)]
    ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    generator_url: String,
    #[serde(default)]
    fingerprint: String,
}

/// Reads Alertmanager's webhook payload (version 4). The error says what is wrong with it.
pub fn parse_alertmanager(body: &serde_json::Value) -> Result<AlertBatch, String> {
    let p: AmPayload = serde_json::from_value(body.clone())
        .map_err(|e| format!("This is not an Alertmanager webhook payload: {e}"))?;
    if p.version != "4" {
        return Err(format!("Alertmanager webhook version {:?} is not supported: expected \"4\"", p.version));
    }
    check_key("groupKey", &p.group_key)?;
    if p.alerts.is_empty() || p.alerts.len() > ALERTS_MAX {
        return Err(format!("A notification carries 1 to {ALERTS_MAX} alerts (this one has {})", p.alerts.len()));
    }
    let mut alerts = Vec::with_capacity(p.alerts.len());
    for (n, a) in p.alerts.into_iter().enumerate() {
        let status = a.status.parse::<AlertStatus>().map_err(|e| format!("alerts[{n}].status: {e}"))?;
        let fingerprint = if a.fingerprint.is_empty() { fingerprint_of(&a.labels) } else { a.fingerprint };
        check_key(&format!("alerts[{n}].fingerprint"), &fingerprint)?;
        // Alertmanager sends the zero time as the end of a firing alert.
        let ends_at = a.ends_at.filter(|e| status == AlertStatus::Resolved && e.timestamp() > 0);
        let summary = a.annotations.get("summary").or(a.annotations.get("description")).cloned().unwrap_or_default();
        alerts.push(Alert {
            fingerprint,
            status,
            starts_at: a.starts_at,
            ends_at,
            labels: a.labels,
            summary,
            source_url: http_url(&a.generator_url),
        });
    }
    let title =
        p.common_annotations.get("summary").cloned().unwrap_or_else(|| group_title(&p.group_labels, &p.common_labels));
    let description = p.common_annotations.get("description").cloned().unwrap_or_default();
    Ok(AlertBatch {
        group_key: p.group_key,
        title: fit_title(&title),
        alerts,
        severity: None,
        services: vec![],
        description,
    })
}

/// The generic webhook's body, as sent (`POST /api/v1/integrations/generic`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GenericAlert {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub services: Option<Vec<String>>,
    #[serde(default)]
    pub dedup_key: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
}

/// Checks the generic webhook's fields, all at once. `started` is when a firing alert is taken to
/// have begun (it has no start of its own: the server passes the first time it fired, or now).
pub fn parse_generic(g: &GenericAlert) -> Result<(AlertBatch, AlertStatus), FieldErrors> {
    let mut errs = FieldErrors::new();
    let title = match g.status.trim() {
        // A resolve needs only its key.
        "resolved" if g.title.trim().is_empty() => Some(String::new()),
        _ => check(&mut errs, "title", validate::title(&g.title)),
    };
    let status = check(&mut errs, "status", g.status.parse::<AlertStatus>());
    let key = check(&mut errs, "dedup_key", check_key("dedup_key", g.dedup_key.trim()).map(|_| g.dedup_key.trim()));
    let services = check(&mut errs, "services", validate::services_list(g.services.as_deref().unwrap_or(&[])));
    let description = check(&mut errs, "description", validate::summary(g.description.as_deref().unwrap_or("")));
    let source_url = match g.source_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => Some(None),
        Some(u) => {
            check(&mut errs, "source_url", http_url(u).map(Some).ok_or_else(|| "Give an http(s) address".into()))
        }
    };
    let severity = g.severity.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = severity.filter(|s| s.chars().count() > 100) {
        errs.insert("severity".into(), format!("A severity is at most 100 characters (this one has {})", s.len()));
    }
    let (Some(title), Some(status), Some(key), Some(services), Some(description), Some(source_url)) =
        (title, status, key, services, description, source_url)
    else {
        return Err(errs);
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let alert = Alert {
        fingerprint: key.to_string(),
        status,
        // Replaced by the server with the start of the episode it belongs to.
        starts_at: DateTime::<Utc>::UNIX_EPOCH,
        ends_at: None,
        labels: Labels::new(),
        summary: title.clone(),
        source_url,
    };
    let batch = AlertBatch {
        group_key: key.to_string(),
        title,
        alerts: vec![alert],
        severity: severity.map(str::to_string),
        services,
        description,
    };
    Ok((batch, status))
}

fn check_key(what: &str, key: &str) -> Result<(), String> {
    if key.trim().is_empty() {
        return Err(format!("{what} is required"));
    }
    if key.len() > KEY_MAX {
        return Err(format!("{what} is at most {KEY_MAX} bytes"));
    }
    Ok(())
}

/// The same labels always give the same fingerprint (for senders that give none).
fn fingerprint_of(labels: &Labels) -> String {
    let joined: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("labels:{}", joined.join(","))
}

/// Only http(s) links are kept: anything else would be a script or a local file on the timeline.
fn http_url(u: &str) -> Option<String> {
    let u = u.trim();
    let lower = u.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| u.to_string())
}

/// `alertname` first, then the other grouping labels: "HighErrorRate (service=checkout)".
fn group_title(group: &Labels, common: &Labels) -> String {
    let name = group.get("alertname").or(common.get("alertname")).cloned().unwrap_or_else(|| "Alert".into());
    let rest: Vec<String> = group.iter().filter(|(k, _)| *k != "alertname").map(|(k, v)| format!("{k}={v}")).collect();
    if rest.is_empty() {
        name
    } else {
        format!("{name} ({})", rest.join(", "))
    }
}

fn fit_title(t: &str) -> String {
    let t = t.trim();
    if t.is_empty() {
        return "Alert".into();
    }
    if t.chars().count() <= validate::TITLE_MAX {
        return t.to_string();
    }
    let mut s: String = t.chars().take(validate::TITLE_MAX - 1).collect();
    s.push('\u{2026}');
    s
}

/// One severity rule: when `label` has `value`, the incident gets `severity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeverityRule {
    pub label: String,
    pub value: String,
    pub severity: Severity,
}

/// How labels become a severity and services. Stored as JSON in settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertRules {
    /// The first rule that matches decides; none matching gives `default_severity`.
    pub severity_rules: Vec<SeverityRule>,
    pub default_severity: Severity,
    /// Labels whose values name the affected services.
    pub service_labels: Vec<String>,
}

/// Rules as typed (the API's JSON or the settings form), before they are checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RulesInput {
    #[serde(default)]
    pub severity_rules: Vec<RuleInput>,
    #[serde(default)]
    pub default_severity: String,
    #[serde(default)]
    pub service_labels: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleInput {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub severity: String,
}

const RULES_MAX: usize = 100;
const LABEL_MAX: usize = 200;

impl AlertRules {
    /// Checks every rule; each error names its field (`severity_rules[2].severity`).
    pub fn from_input(input: &RulesInput) -> Result<AlertRules, FieldErrors> {
        let mut errs = FieldErrors::new();
        if input.severity_rules.len() > RULES_MAX {
            errs.insert("severity_rules".into(), format!("At most {RULES_MAX} rules"));
        }
        let mut rules = Vec::new();
        for (n, r) in input.severity_rules.iter().enumerate() {
            let label = check(&mut errs, &format!("severity_rules[{n}].label"), label_name(&r.label));
            let value = r.value.trim();
            if value.is_empty() || value.len() > LABEL_MAX {
                errs.insert(
                    format!("severity_rules[{n}].value"),
                    format!("Give the label's value (1 to {LABEL_MAX} bytes)"),
                );
            }
            let severity = check(&mut errs, &format!("severity_rules[{n}].severity"), r.severity.parse::<Severity>());
            if let (Some(label), Some(severity)) = (label, severity) {
                rules.push(SeverityRule { label, value: value.to_string(), severity });
            }
        }
        let default_severity = check(&mut errs, "default_severity", input.default_severity.parse::<Severity>());
        let mut service_labels = Vec::new();
        for (n, l) in input.service_labels.iter().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            if let Some(l) = check(&mut errs, &format!("service_labels[{n}]"), label_name(l)) {
                service_labels.push(l);
            }
        }
        match default_severity {
            Some(default_severity) if errs.is_empty() => {
                Ok(AlertRules { severity_rules: rules, default_severity, service_labels })
            }
            _ => Err(errs),
        }
    }

    /// The severity of one alert's labels.
    pub fn severity_of(&self, labels: &Labels) -> Severity {
        self.severity_rules
            .iter()
            .find(|r| labels.get(&r.label).is_some_and(|v| v.eq_ignore_ascii_case(&r.value)))
            .map_or(self.default_severity, |r| r.severity)
    }

    /// The batch's severity: the sender's own (a severity key, or a value the rules map as if it were
    /// the `severity` label), else the most severe of its firing alerts by the rules.
    pub fn batch_severity(&self, batch: &AlertBatch) -> Severity {
        if let Some(s) = &batch.severity {
            return s.parse().unwrap_or_else(|_| self.severity_of(&Labels::from([("severity".into(), s.clone())])));
        }
        let firing = batch.alerts.iter().filter(|a| a.status == AlertStatus::Firing);
        firing.map(|a| self.severity_of(&a.labels)).min().unwrap_or(self.default_severity)
    }

    /// The services named by the batch and its alerts' service labels, without duplicates.
    pub fn batch_services(&self, batch: &AlertBatch) -> Vec<String> {
        let from_labels = batch.alerts.iter().flat_map(|a| self.service_labels.iter().filter_map(|l| a.labels.get(l)));
        let all: Vec<String> = batch.services.iter().chain(from_labels).cloned().collect();
        let mut out = validate::services_list(&all).unwrap_or_default();
        out.truncate(validate::SERVICES_MAX);
        out
    }

    /// The rules as the settings form shows them: `label=value SEVn`, one per line.
    pub fn rules_text(&self) -> String {
        let lines: Vec<String> =
            self.severity_rules.iter().map(|r| format!("{}={} {}", r.label, r.value, r.severity)).collect();
        lines.join("\n")
    }
}

/// Reads the settings form's lines (`label=value SEVn`) into rules input; a line that does not have
/// that shape becomes a rule with its parts empty, so the error names it.
pub fn parse_rule_lines(text: &str) -> Vec<RuleInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (pair, severity) = line.rsplit_once(char::is_whitespace).unwrap_or((line, ""));
            let (label, value) = pair.trim().split_once('=').unwrap_or((pair, ""));
            RuleInput { label: label.trim().into(), value: value.trim().into(), severity: severity.trim().into() }
        })
        .collect()
}

/// The rules API's field errors as the settings form shows them: each `severity_rules[n].part` becomes
/// a message on `rules` naming the line, and `service_labels[n]` one on `service_labels`.
pub fn form_errors(text: &str, errs: FieldErrors) -> FieldErrors {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut out = FieldErrors::new();
    for (field, message) in errs {
        let (name, rest) = field.split_once('[').unwrap_or((&field, ""));
        let n: Option<usize> = rest.split(']').next().and_then(|n| n.parse().ok());
        let message = match (name, n) {
            ("severity_rules", Some(n)) => {
                let line = lines.get(n).copied().unwrap_or("");
                format!("Line \u{201c}{line}\u{201d}: {message} (write label=value SEVn)")
            }
            _ => message,
        };
        let entry: &mut String =
            out.entry(if name == "severity_rules" { "rules".into() } else { name.into() }).or_default();
        if !entry.is_empty() {
            entry.push_str("; ");
        }
        entry.push_str(&message);
    }
    out
}

fn label_name(l: &str) -> Result<String, String> {
    let l = l.trim();
    let ok = !l.is_empty()
        && l.len() <= LABEL_MAX
        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !l.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(l.to_string())
    } else {
        Err(format!("{l:?} is not a label name (letters, digits and _, not starting with a digit)"))
    }
}

/// The timeline text of one alert: its state, summary, labels and source.
pub fn event_text(a: &Alert) -> String {
    let state = match a.status {
        AlertStatus::Firing => "Alert firing",
        AlertStatus::Resolved => "Alert resolved",
    };
    let mut out = if a.summary.is_empty() { state.to_string() } else { format!("{state}: {}", a.summary) };
    if !a.labels.is_empty() {
        let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("\nLabels: {}", labels.join(", ")));
    }
    if let Some(u) = &a.source_url {
        out.push_str(&format!("\nSource: {u}"));
    }
    out
}

impl fmt::Display for AlertBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "group {:?} ({} alerts)", self.group_key, self.alerts.len())
    }
}

#[cfg(test)]
mod tests;
