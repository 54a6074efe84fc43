//! Accounts as the API and pages see them: token scopes, sign-ins, reset links and the audit log.

use super::incident::wire_enum;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a token may do. `feed` reads the Atom feed and nothing else, so it can sit in a feed
/// reader's URL without handing out the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TokenScope {
    Read,
    Write,
    Feed,
}

wire_enum!(TokenScope, "token scope", { Read => "read", Write => "write", Feed => "feed" });

impl TokenScope {
    /// Whether this scope may make a request with `method` to the JSON API.
    pub fn allows_api(self, method: &str) -> Result<(), &'static str> {
        match self {
            TokenScope::Feed => Err("This token only reads the library feed"),
            TokenScope::Read if !matches!(method, "GET" | "HEAD" | "OPTIONS") => {
                Err("This token is read-only: create a read-write token to change anything")
            }
            _ => Ok(()),
        }
    }
}

/// How a request reached the server, for the audit log: the token it carried (none for a browser
/// session) and the client's address. Never sent to the browser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    pub token: Option<(i64, TokenScope)>,
    pub address: Option<String>,
}

/// An API token as its holder (or an admin) sees it; the secret itself is shown only once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub user: super::UserRef,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Token {
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A token just created: the only answer that carries its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub expires_at: Option<DateTime<Utc>>,
    pub token: String,
}

/// Sessions end after this long however active they are, beside the idle timeout.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::days(30);
/// A reset link works once, within this long of being made.
pub const RESET_LINK_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// Whether a sign-in that started at `started` is still within its absolute lifetime.
pub fn session_alive(started: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < started + SESSION_LIFETIME
}

/// Why a reset link no longer works, if it does not.
pub fn reset_link_problem(
    created: DateTime<Utc>,
    used: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if used.is_some() {
        Some("This reset link has already been used. Ask an admin for a new one.")
    } else if now >= created + RESET_LINK_LIFETIME {
        Some("This reset link has expired (links work for one hour). Ask an admin for a new one.")
    } else {
        None
    }
}

/// One browser where someone is signed in, for *Your sessions*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub address: Option<String>,
    pub user_agent: String,
    /// The session this page was asked from.
    pub current: bool,
}

/// What the audit log records. The names are the API's (`?action=`) and the README lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AuditAction {
    #[serde(rename = "sign_in.succeeded")]
    SignInSucceeded,
    #[serde(rename = "sign_in.failed")]
    SignInFailed,
    #[serde(rename = "sign_out")]
    SignOut,
    #[serde(rename = "sessions.ended")]
    SessionsEnded,
    #[serde(rename = "password.changed")]
    PasswordChanged,
    #[serde(rename = "password.reset_link_created")]
    ResetLinkCreated,
    #[serde(rename = "password.reset")]
    PasswordReset,
    #[serde(rename = "user.created")]
    UserCreated,
    #[serde(rename = "user.role_changed")]
    UserRoleChanged,
    #[serde(rename = "user.deactivated")]
    UserDeactivated,
    #[serde(rename = "user.reactivated")]
    UserReactivated,
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    #[serde(rename = "settings.changed")]
    SettingsChanged,
    #[serde(rename = "template.changed")]
    TemplateChanged,
    #[serde(rename = "incident.made_private")]
    IncidentMadePrivate,
    #[serde(rename = "incident.made_public")]
    IncidentMadePublic,
    #[serde(rename = "participant.added")]
    ParticipantAdded,
    #[serde(rename = "participant.removed")]
    ParticipantRemoved,
    #[serde(rename = "postmortem.published")]
    PostmortemPublished,
    #[serde(rename = "postmortem.downloaded")]
    PostmortemDownloaded,
    #[serde(rename = "integration.created")]
    IntegrationCreated,
    #[serde(rename = "integration.revoked")]
    IntegrationRevoked,
    #[serde(rename = "incident.declined")]
    IncidentDeclined,
    #[serde(rename = "destination.created")]
    DestinationCreated,
    #[serde(rename = "destination.removed")]
    DestinationRemoved,
    #[serde(rename = "destination.changed")]
    DestinationChanged,
    #[serde(rename = "service.added")]
    ServiceAdded,
    #[serde(rename = "service.removed")]
    ServiceRemoved,
}

wire_enum!(AuditAction, "audit action", {
    SignInSucceeded => "sign_in.succeeded",
    SignInFailed => "sign_in.failed",
    SignOut => "sign_out",
    SessionsEnded => "sessions.ended",
    PasswordChanged => "password.changed",
    ResetLinkCreated => "password.reset_link_created",
    PasswordReset => "password.reset",
    UserCreated => "user.created",
    UserRoleChanged => "user.role_changed",
    UserDeactivated => "user.deactivated",
    UserReactivated => "user.reactivated",
    TokenCreated => "token.created",
    TokenRevoked => "token.revoked",
    SettingsChanged => "settings.changed",
    TemplateChanged => "template.changed",
    IncidentMadePrivate => "incident.made_private",
    IncidentMadePublic => "incident.made_public",
    ParticipantAdded => "participant.added",
    ParticipantRemoved => "participant.removed",
    PostmortemPublished => "postmortem.published",
    PostmortemDownloaded => "postmortem.downloaded",
    IntegrationCreated => "integration.created",
    IntegrationRevoked => "integration.revoked",
    IncidentDeclined => "incident.declined",
    DestinationCreated => "destination.created",
    DestinationRemoved => "destination.removed",
    DestinationChanged => "destination.changed",
    ServiceAdded => "service.added",
    ServiceRemoved => "service.removed",
});

/// Who did it: a person (through a token or not), or for a failed sign-in only the email typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditActor {
    pub user_id: Option<i64>,
    pub name: String,
    pub token_id: Option<i64>,
}

/// What it was done to: `{type: "user", id: "7", name: "Grace Hopper"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<AuditActor>,
    pub action: AuditAction,
    pub object: Option<AuditObject>,
    pub address: Option<String>,
    /// Old → new for what changed (`{"role": {"from": "member", "to": "admin"}}`), or details.
    pub change: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn read_tokens_only_read_and_feed_tokens_only_feed() {
        assert!(TokenScope::Write.allows_api("POST").is_ok());
        assert!(TokenScope::Read.allows_api("GET").is_ok());
        for m in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(TokenScope::Read.allows_api(m).unwrap_err().contains("read-only"), "{m}");
        }
        assert!(TokenScope::Feed.allows_api("GET").is_err());
        assert_eq!("READ".parse::<TokenScope>(), Ok(TokenScope::Read));
        assert!("admin".parse::<TokenScope>().unwrap_err().contains("read, write, feed"));
    }

    #[test]
    fn sessions_last_thirty_days_at_most() {
        let day = 86_400;
        assert!(session_alive(at(0), at(29 * day)));
        assert!(!session_alive(at(0), at(30 * day)));
    }

    #[test]
    fn reset_links_work_once_within_an_hour() {
        assert_eq!(reset_link_problem(at(0), None, at(3599)), None);
        assert!(reset_link_problem(at(0), None, at(3600)).unwrap().contains("expired"));
        assert!(reset_link_problem(at(0), Some(at(10)), at(20)).unwrap().contains("already been used"));
    }

    #[test]
    fn tokens_stop_at_expiry_or_revocation() {
        let t = Token {
            id: 1,
            name: "ci".into(),
            scope: TokenScope::Read,
            user: super::super::UserRef { id: 1, name: "Ada".into() },
            created_at: at(0),
            last_used_at: None,
            expires_at: Some(at(100)),
            revoked_at: None,
        };
        assert!(t.is_usable(at(99)));
        assert!(!t.is_usable(at(100)));
        assert!(!Token { revoked_at: Some(at(1)), expires_at: None, ..t }.is_usable(at(2)));
    }

    #[test]
    fn audit_action_names_are_one_spelling() {
        for a in AuditAction::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(*a));
        }
    }
}
