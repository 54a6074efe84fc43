//! The status page: each service's state, derived from the open incidents that name it, with the
//! latest update of each and what was resolved lately. Pure, so the rules are tested on their own.

use super::incident::{wire_enum, Severity};
use super::IncidentStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Best first: the order is the order of worsening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ServiceState {
    Operational,
    Degraded,
    MajorOutage,
}

wire_enum!(ServiceState, "service state", {
    Operational => "operational",
    Degraded => "degraded",
    MajorOutage => "major_outage",
});

impl ServiceState {
    pub fn label(self) -> &'static str {
        match self {
            ServiceState::Operational => "Operational",
            ServiceState::Degraded => "Degraded",
            ServiceState::MajorOutage => "Major outage",
        }
    }

    /// What an open incident of this severity does to the services it names: a SEV1 is a major
    /// outage, a SEV2 or SEV3 a degradation; a SEV4 has no customer impact, so it is listed but
    /// leaves the service operational.
    pub fn from_severity(severity: Severity) -> Self {
        match severity {
            Severity::Sev1 => ServiceState::MajorOutage,
            Severity::Sev2 | Severity::Sev3 => ServiceState::Degraded,
            Severity::Sev4 => ServiceState::Operational,
        }
    }
}

/// A service in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Service {
    pub id: i64,
    pub name: String,
    pub team: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// The latest stakeholder update of an incident, as the status page shows it (no author: the page
/// may be read by anyone in the company, or without signing in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusUpdate {
    pub message: String,
    pub impact: String,
    pub posted_at: DateTime<Utc>,
    pub next_update_at: Option<DateTime<Utc>>,
}

/// A public, confirmed incident as the status page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusIncident {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub services: Vec<String>,
    pub declared_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub latest_update: Option<StatusUpdate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceStatus {
    pub name: String,
    pub team: String,
    pub description: String,
    pub state: ServiceState,
    /// The open incidents naming it.
    pub incidents: Vec<String>,
    /// False for a service only named on incidents.
    pub in_catalogue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusPage {
    pub generated_at: DateTime<Utc>,
    /// The worst state of any service.
    pub state: ServiceState,
    pub services: Vec<ServiceStatus>,
    pub open: Vec<StatusIncident>,
    pub resolved: Vec<StatusIncident>,
}

/// A service as typed (form or JSON).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub description: String,
}

pub const TEAM_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 500;

impl ServiceInput {
    /// Name, team and description, trimmed; every field's problem at once.
    pub fn check(&self) -> Result<(String, String, String), super::validate::FieldErrors> {
        let mut errs = super::validate::FieldErrors::new();
        let (name, team, description) = (self.name.trim(), self.team.trim(), self.description.trim());
        let max = super::validate::SERVICE_MAX;
        if name.is_empty() || name.chars().count() > max || name.contains([',', '\n']) {
            errs.insert(
                "name".into(),
                format!("Name the service as incidents name it (at most {max} characters, no commas), for example \u{201c}checkout\u{201d}"),
            );
        }
        if team.chars().count() > TEAM_MAX {
            errs.insert("team".into(), format!("A team name is at most {TEAM_MAX} characters"));
        }
        if description.chars().count() > DESCRIPTION_MAX {
            errs.insert("description".into(), format!("Describe it in at most {DESCRIPTION_MAX} characters"));
        }
        if errs.is_empty() {
            Ok((name.to_string(), team.to_string(), description.to_string()))
        } else {
            Err(errs)
        }
    }
}

/// How many days back "recently resolved" reaches.
pub const RESOLVED_DAYS: i64 = 7;

/// The page from the catalogue and the incidents (open ones and those resolved lately): every
/// catalogue service, and every service an open incident names, each in the worst state its open
/// incidents give it. Services are matched by name whatever the case; the catalogue's spelling wins.
pub fn build(catalogue: &[Service], incidents: Vec<StatusIncident>, now: DateTime<Utc>) -> StatusPage {
    let (open, resolved): (Vec<_>, Vec<_>) = incidents.into_iter().partition(|i| i.status.is_open());
    let mut services: Vec<ServiceStatus> = catalogue
        .iter()
        .map(|s| ServiceStatus {
            name: s.name.clone(),
            team: s.team.clone(),
            description: s.description.clone(),
            state: ServiceState::Operational,
            incidents: vec![],
            in_catalogue: true,
        })
        .collect();
    for i in &open {
        for name in &i.services {
            let pos = match services.iter().position(|s| s.name.eq_ignore_ascii_case(name)) {
                Some(p) => p,
                None => {
                    services.push(ServiceStatus {
                        name: name.clone(),
                        team: String::new(),
                        description: String::new(),
                        state: ServiceState::Operational,
                        incidents: vec![],
                        in_catalogue: false,
                    });
                    services.len() - 1
                }
            };
            let s = &mut services[pos];
            s.state = s.state.max(ServiceState::from_severity(i.severity));
            if !s.incidents.contains(&i.reference) {
                s.incidents.push(i.reference.clone());
            }
        }
    }
    services.sort_by(|a, b| b.state.cmp(&a.state).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    let state = services.iter().map(|s| s.state).max().unwrap_or(ServiceState::Operational);
    StatusPage { generated_at: now, state, services, open, resolved }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(id: i64, severity: Severity, status: IncidentStatus, services: &[&str]) -> StatusIncident {
        StatusIncident {
            id,
            reference: format!("INC-{id}"),
            title: format!("incident {id}"),
            severity,
            status,
            services: services.iter().map(|s| s.to_string()).collect(),
            declared_at: DateTime::UNIX_EPOCH,
            resolved_at: None,
            latest_update: None,
        }
    }

    fn service(name: &str) -> Service {
        Service {
            id: 1,
            name: name.into(),
            team: "Payments".into(),
            description: String::new(),
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn severities_map_to_states() {
        assert_eq!(ServiceState::from_severity(Severity::Sev1), ServiceState::MajorOutage);
        assert_eq!(ServiceState::from_severity(Severity::Sev2), ServiceState::Degraded);
        assert_eq!(ServiceState::from_severity(Severity::Sev3), ServiceState::Degraded);
        assert_eq!(ServiceState::from_severity(Severity::Sev4), ServiceState::Operational);
    }

    #[test]
    fn each_service_takes_the_worst_of_its_open_incidents() {
        let catalogue = [service("Checkout"), service("Search"), service("Login")];
        let incidents = vec![
            incident(1, Severity::Sev3, IncidentStatus::Investigating, &["checkout"]),
            incident(2, Severity::Sev1, IncidentStatus::Monitoring, &["Checkout", "payments"]),
            incident(3, Severity::Sev4, IncidentStatus::Identified, &["search"]),
            incident(4, Severity::Sev1, IncidentStatus::Resolved, &["login"]),
        ];
        let page = build(&catalogue, incidents, DateTime::UNIX_EPOCH);
        let states: Vec<(&str, ServiceState, bool)> =
            page.services.iter().map(|s| (s.name.as_str(), s.state, s.in_catalogue)).collect();
        assert_eq!(
            states,
            [
                ("Checkout", ServiceState::MajorOutage, true),
                ("payments", ServiceState::MajorOutage, false),
                ("Login", ServiceState::Operational, true),
                ("Search", ServiceState::Operational, true),
            ],
            "worst first, then by name; a resolved incident changes nothing"
        );
        assert_eq!(page.services[0].incidents, ["INC-1", "INC-2"]);
        assert_eq!(page.services[3].incidents, ["INC-3"], "a SEV4 is listed");
        assert_eq!(page.state, ServiceState::MajorOutage);
        assert_eq!((page.open.len(), page.resolved.len()), (3, 1));
    }

    #[test]
    fn service_input_is_checked_field_by_field() {
        let bad = ServiceInput { name: "a, b".into(), team: "t".repeat(81), description: "d".repeat(501) };
        let errs = bad.check().unwrap_err();
        assert_eq!(errs.keys().collect::<Vec<_>>(), ["description", "name", "team"]);
        assert!(ServiceInput { name: "  ".into(), ..Default::default() }.check().is_err());
        let ok = ServiceInput { name: " checkout ".into(), team: " Payments ".into(), description: String::new() };
        assert_eq!(ok.check().unwrap(), ("checkout".into(), "Payments".into(), String::new()));
    }

    #[test]
    fn with_nothing_open_all_is_operational() {
        let page = build(&[service("Checkout")], vec![], DateTime::UNIX_EPOCH);
        assert_eq!(page.state, ServiceState::Operational);
        assert_eq!(build(&[], vec![], DateTime::UNIX_EPOCH).state, ServiceState::Operational);
    }
}
