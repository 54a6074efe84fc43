//! Wire types: the JSON API's shapes, also what server functions hand to the pages.

use super::incident::{EventKind, IncidentStatus, KeyKind, Role, Severity, UserRole};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub time_zone: String,
    /// The team they work in; empty when not set.
    #[serde(default)]
    pub team: String,
    /// False once an admin deactivated them: they keep their name in history but cannot sign in.
    #[serde(default = "yes")]
    pub active: bool,
    /// The token and address this request came with; for the audit log, never serialised.
    #[serde(skip)]
    pub origin: super::accounts::Origin,
}

fn yes() -> bool {
    true
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == UserRole::Admin
    }

    pub fn can_write(&self) -> bool {
        self.role != UserRole::Reader
    }
}

/// A person as shown beside an incident or event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Incident {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub summary: String,
    pub services: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub declared_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub declared_by: UserRef,
    pub commander: Option<UserRef>,
    pub comms_lead: Option<UserRef>,
    pub scribe: Option<UserRef>,
    /// Seen only by admins, the declarer, role holders, action-item owners and participants.
    pub private: bool,
    /// People added so that they may see the incident while it is private.
    pub participants: Vec<UserRef>,
    pub version: i32,
    /// The incident's page, relative to the site root.
    pub url: String,
    /// The alert group that opened it, if an alert did.
    pub source: Option<IncidentSource>,
    /// When the first alert began (set when accepted from triage).
    pub detected_at: Option<DateTime<Utc>>,
    /// Declined from triage: not an incident after all (the reason is on the timeline).
    pub declined_at: Option<DateTime<Utc>>,
    /// Its moments from impact to close, with where each time came from (`GET /incidents/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestones: Option<crate::domain::milestones::Milestones>,
}

/// Where an incident opened by an alert came from: the integration (its id, name and kind) and the
/// alert group key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentSource {
    pub integration: i64,
    pub integration_name: String,
    pub kind: crate::domain::alerts::IntegrationKind,
    pub group_key: String,
}

impl Incident {
    pub fn role_holder(&self, role: Role) -> Option<&UserRef> {
        match role {
            Role::Commander => self.commander.as_ref(),
            Role::CommsLead => self.comms_lead.as_ref(),
            Role::Scribe => self.scribe.as_ref(),
        }
    }

    /// Who may make the incident private or public and choose its participants: its commander
    /// and admins.
    pub fn may_manage_access(&self, user: &User) -> bool {
        user.is_admin() || (user.can_write() && self.commander.as_ref().is_some_and(|c| c.id == user.id))
    }
}

/// `INC-42` ↔ 42. Pages use the reference in their URLs; the API uses the bare id.
pub fn incident_ref(id: i64) -> String {
    format!("INC-{id}")
}

pub fn parse_incident_ref(s: &str) -> Option<i64> {
    let t = s.trim();
    let digits = t.strip_prefix("INC-").or_else(|| t.strip_prefix("inc-")).unwrap_or(t);
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

pub fn incident_url(id: i64) -> String {
    format!("/incidents/{}", incident_ref(id))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub id: i64,
    pub incident_id: i64,
    pub kind: EventKind,
    pub author: UserRef,
    /// Markdown as written (notes) or a generated sentence (changes).
    pub body: String,
    /// Sanitised HTML of `body`: safe to insert into a page.
    pub body_html: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub key: Option<KeyKind>,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// An instant as the reader sees it, formatted on the server for the reader's zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    pub iso: String,
    pub utc: String,
    pub local: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub incident: Incident,
    pub started: Stamp,
    pub duration: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub event: TimelineEvent,
    pub occurred: Stamp,
    /// Set when the responder backfilled it: the server's own clock for when it was written.
    pub recorded: Option<Stamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentPage {
    pub incident: Incident,
    pub started: Stamp,
    pub resolved: Option<Stamp>,
    pub duration: String,
    pub events: Vec<EventRow>,
    /// Events older than the shown window exist; `before` is the cursor to page back.
    pub older: Option<String>,
    pub total_events: i64,
    /// The people a role search found, when the page was asked for one (`?pick=<role>&person=…`):
    /// the page never lists everyone, so its size does not grow with the organisation.
    pub pick: Option<PeoplePick>,
    /// The incident's action items, read on the page's own connection.
    pub actions: crate::domain::actions::ActionList,
    /// The newest stakeholder update, shown at the top.
    pub latest_update: Option<LatestUpdate>,
    /// Its moments, in order, as the reader reads their times.
    pub milestones: Vec<crate::domain::milestones::MilestoneRow>,
    pub me: User,
}

/// A search for someone to take a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeoplePick {
    pub role: Role,
    pub query: String,
    pub matches: Vec<UserRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_refs_round_trip() {
        assert_eq!(incident_ref(42), "INC-42");
        assert_eq!(parse_incident_ref("INC-42"), Some(42));
        assert_eq!(parse_incident_ref("42"), Some(42));
        assert_eq!(parse_incident_ref("INC-0"), None);
        assert_eq!(parse_incident_ref("INC-x"), None);
        assert_eq!(incident_url(7), "/incidents/INC-7");
    }

    fn user(id: i64, role: UserRole) -> User {
        User {
            id,
            email: format!("u{id}@example.com"),
            name: format!("U{id}"),
            role,
            time_zone: "UTC".into(),
            team: String::new(),
            active: true,
            origin: Default::default(),
        }
    }

    #[test]
    fn the_commander_and_admins_decide_who_sees_an_incident() {
        let t = chrono::DateTime::UNIX_EPOCH;
        let declarer = UserRef { id: 1, name: "U1".into() };
        let inc = Incident {
            id: 9,
            reference: incident_ref(9),
            title: "Leak".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Investigating,
            summary: String::new(),
            services: vec![],
            started_at: t,
            declared_at: t,
            resolved_at: None,
            declared_by: declarer.clone(),
            commander: Some(UserRef { id: 2, name: "U2".into() }),
            comms_lead: Some(UserRef { id: 3, name: "U3".into() }),
            scribe: None,
            private: true,
            participants: vec![UserRef { id: 4, name: "U4".into() }],
            version: 1,
            source: None,
            detected_at: None,
            declined_at: None,
            milestones: None,
            url: incident_url(9),
        };
        assert!(inc.may_manage_access(&user(2, UserRole::Member)), "the commander");
        assert!(inc.may_manage_access(&user(7, UserRole::Admin)), "any admin");
        assert!(!inc.may_manage_access(&user(1, UserRole::Member)), "the declarer once someone else commands");
        assert!(!inc.may_manage_access(&user(3, UserRole::Member)), "another role holder");
        assert!(!inc.may_manage_access(&user(4, UserRole::Member)), "a participant");
        assert!(!inc.may_manage_access(&user(2, UserRole::Reader)), "a reader, even as commander");
        let nobody = Incident { commander: None, ..inc };
        assert!(
            !nobody.may_manage_access(&user(2, UserRole::Member))
                && nobody.may_manage_access(&user(7, UserRole::Admin))
        );
    }
}

/// A stakeholder update: what is happening, the impact on customers, when the next one comes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StakeholderUpdate {
    pub id: i64,
    pub incident_id: i64,
    pub author: UserRef,
    pub message: String,
    pub impact: String,
    pub next_update_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The latest update as the incident page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestUpdate {
    pub update: StakeholderUpdate,
    pub posted: Stamp,
    pub next: Option<Stamp>,
    /// "Next update by" has passed while the incident is still open.
    pub overdue: bool,
}
