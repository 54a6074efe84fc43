//! Incident vocabulary: severities, the status machine, roles and key-event kinds.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Implements `as_str`, `Display`, `FromStr` and `ALL` for a fieldless enum from one table of wire names,
/// so the database, the API and the forms can never disagree on spelling.
macro_rules! wire_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $wire:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($wire) { return Ok($ty::$variant); } )+
                let known: Vec<&str> = vec![$($wire),+];
                Err(format!("unknown {} {:?}: expected one of {}", $what, t, known.join(", ")))
            }
        }
    };
}

pub(crate) use wire_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
    #[serde(rename = "SEV4")]
    Sev4,
}

wire_enum!(Severity, "severity", { Sev1 => "SEV1", Sev2 => "SEV2", Sev3 => "SEV3", Sev4 => "SEV4" });

impl Severity {
    /// The one-line meaning shown next to each choice, so responders pick consistently under stress.
    pub fn meaning(self) -> &'static str {
        match self {
            Severity::Sev1 => "Critical: the service is down or data is at risk for many customers",
            Severity::Sev2 => "Major: a core feature is broken or badly degraded for many customers",
            Severity::Sev3 => "Minor: partial degradation with a workaround, or few customers affected",
            Severity::Sev4 => "Low: no customer impact yet, but needs coordinated attention",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum IncidentStatus {
    /// Opened by an alert; a person accepts it (it becomes investigating) or declines it.
    Triage,
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Closed,
}

wire_enum!(IncidentStatus, "status", {
    Triage => "triage",
    Investigating => "investigating",
    Identified => "identified",
    Monitoring => "monitoring",
    Resolved => "resolved",
    Closed => "closed",
});

impl IncidentStatus {
    /// Statuses a responder may move to from `self`. `closed` is reached only through the postmortem
    /// (or an explicit close with a reason), never by a plain status change.
    pub fn next(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            // Left only by accepting or declining (see `check_transition`).
            Triage => &[],
            Investigating => &[Identified, Monitoring, Resolved],
            Identified => &[Investigating, Monitoring, Resolved],
            Monitoring => &[Investigating, Identified, Resolved],
            // Reopening: the fix did not hold.
            Resolved => &[Investigating, Identified, Monitoring],
            Closed => &[],
        }
    }

    pub fn can_move_to(self, to: IncidentStatus) -> bool {
        self.next().contains(&to)
    }

    /// Why a transition is refused, in words a responder understands.
    pub fn check_transition(self, to: IncidentStatus) -> Result<(), String> {
        if self == to {
            return Err(format!("the incident is already {self}"));
        }
        if self.can_move_to(to) {
            return Ok(());
        }
        if to == IncidentStatus::Closed {
            return Err("an incident is closed by publishing its postmortem, not by a status change".into());
        }
        if self == IncidentStatus::Closed {
            return Err("a closed incident cannot change status".into());
        }
        if self == IncidentStatus::Triage {
            return Err("an incident in triage is accepted (it becomes investigating) or declined, not moved".into());
        }
        Err(format!("cannot move from {self} to {to}"))
    }

    pub fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Resolved | IncidentStatus::Closed)
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::Triage => "Triage",
            IncidentStatus::Investigating => "Investigating",
            IncidentStatus::Identified => "Identified",
            IncidentStatus::Monitoring => "Monitoring",
            IncidentStatus::Resolved => "Resolved",
            IncidentStatus::Closed => "Closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Commander,
    CommsLead,
    Scribe,
}

wire_enum!(Role, "role", { Commander => "commander", CommsLead => "comms_lead", Scribe => "scribe" });

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Commander => "Incident commander",
            Role::CommsLead => "Communications lead",
            Role::Scribe => "Scribe",
        }
    }
}

/// Marks a timeline note as one of the moments the postmortem is built around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum KeyKind {
    Trigger,
    Detection,
    Mitigation,
    Resolution,
}

wire_enum!(KeyKind, "key event kind", {
    Trigger => "trigger",
    Detection => "detection",
    Mitigation => "mitigation",
    Resolution => "resolution",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum EventKind {
    Declared,
    Note,
    Status,
    Severity,
    Role,
    Title,
    Summary,
    /// Made private or public.
    Visibility,
    /// Someone added to or removed from the incident's participants.
    Participants,
    /// A stakeholder update was posted.
    Update,
    /// An alert fired or resolved (`to`: firing, resolved, or all_resolved for the whole group).
    Alert,
}

wire_enum!(EventKind, "event kind", {
    Declared => "declared",
    Note => "note",
    Status => "status",
    Severity => "severity",
    Role => "role",
    Title => "title",
    Summary => "summary",
    Visibility => "visibility",
    Participants => "participants",
    Update => "update",
    Alert => "alert",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum UserRole {
    Admin,
    Member,
    /// Reads everything, changes nothing.
    Reader,
}

wire_enum!(UserRole, "user role", { Admin => "admin", Member => "member", Reader => "reader" });

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    #[test]
    fn severity_parses_case_insensitively_and_rejects_unknown() {
        assert_eq!("sev2".parse::<Severity>(), Ok(Severity::Sev2));
        assert_eq!(" SEV1 ".parse::<Severity>(), Ok(Severity::Sev1));
        let err = "SEV5".parse::<Severity>().unwrap_err();
        assert!(err.contains("SEV1, SEV2, SEV3, SEV4"), "{err}");
        assert!("".parse::<Severity>().is_err());
    }

    #[test]
    fn severity_serialises_as_wire_name() {
        assert_eq!(serde_json::to_string(&Severity::Sev3).unwrap(), "\"SEV3\"");
        assert!(Severity::Sev1 < Severity::Sev4, "SEV1 sorts first: most severe");
    }

    #[test]
    fn forward_and_backward_transitions() {
        assert!(Investigating.can_move_to(Identified));
        assert!(Identified.can_move_to(Monitoring));
        assert!(Monitoring.can_move_to(Resolved));
        assert!(Monitoring.can_move_to(Investigating), "a fix that did not hold");
        assert!(Resolved.can_move_to(Investigating), "reopen");
        assert!(Investigating.can_move_to(Resolved), "resolved before root cause found");
    }

    #[test]
    fn closed_is_not_reachable_by_a_status_change() {
        for s in IncidentStatus::ALL {
            assert!(!s.can_move_to(Closed));
        }
        assert!(Closed.next().is_empty());
        assert!(Resolved.check_transition(Closed).unwrap_err().contains("postmortem"));
        assert!(Closed.check_transition(Investigating).unwrap_err().contains("closed"));
    }

    #[test]
    fn same_status_is_refused_with_a_reason() {
        assert_eq!(Identified.check_transition(Identified).unwrap_err(), "the incident is already identified");
    }

    #[test]
    fn open_statuses() {
        assert!(Investigating.is_open() && Identified.is_open() && Monitoring.is_open());
        assert!(!Resolved.is_open() && !Closed.is_open());
    }

    #[test]
    fn wire_names_round_trip() {
        for s in IncidentStatus::ALL {
            assert_eq!(s.as_str().parse::<IncidentStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        assert_eq!("comms_lead".parse::<Role>(), Ok(Role::CommsLead));
        assert_eq!(serde_json::to_string(&KeyKind::Detection).unwrap(), "\"detection\"");
    }
}
