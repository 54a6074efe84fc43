//! Single sign-on rules that need no network: who may come in, with which role, and what each way a
//! sign-in can fail tells the person.

use super::incident::wire_enum;
use super::UserRole;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who may sign in through the identity provider, and as what.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoRules {
    /// Lower-case email domains allowed in; empty: any.
    pub domains: Vec<String>,
    /// The role of a new user whose groups map to none.
    pub default_role: UserRole,
    /// The ID token claim holding the person's groups, if roles follow them.
    pub groups_claim: Option<String>,
    /// Group → role; the most powerful role among a person's groups wins.
    pub group_roles: Vec<(String, UserRole)>,
}

impl SsoRules {
    /// From the settings as the operator wrote them: `example.com, corp.example`, `member`, a claim
    /// name, and `sre-leads=admin, auditors=reader`.
    pub fn parse(
        domains: &str,
        default_role: &str,
        groups_claim: Option<&str>,
        group_roles: &str,
    ) -> Result<Self, String> {
        let domains = domains
            .split(',')
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        let default_role = default_role.parse().map_err(|e| format!("DEBRIEF_OIDC_ROLE: {e}"))?;
        let mut mapped = Vec::new();
        for pair in group_roles.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (group, role) =
                pair.split_once('=').ok_or_else(|| format!("DEBRIEF_OIDC_GROUP_ROLES: {pair:?} is not group=role"))?;
            let role = role.parse().map_err(|e| format!("DEBRIEF_OIDC_GROUP_ROLES: {e}"))?;
            mapped.push((group.trim().to_string(), role));
        }
        let groups_claim = groups_claim.map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
        if groups_claim.is_none() && !mapped.is_empty() {
            return Err("DEBRIEF_OIDC_GROUP_ROLES needs DEBRIEF_OIDC_GROUPS_CLAIM (the claim that lists groups)".into());
        }
        Ok(SsoRules { domains, default_role, groups_claim, group_roles: mapped })
    }

    pub fn email_allowed(&self, email: &str) -> bool {
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_lowercase()).unwrap_or_default();
        self.domains.is_empty() || self.domains.contains(&domain)
    }

    /// The role the groups give, when roles follow groups (`None` otherwise): the strongest mapped
    /// one, or the default when none of the person's groups is mapped.
    pub fn role_for(&self, groups: &[String]) -> Option<UserRole> {
        self.groups_claim.as_ref()?;
        let rank = |r: &UserRole| match r {
            UserRole::Admin => 2,
            UserRole::Member => 1,
            UserRole::Reader => 0,
        };
        let mapped = self.group_roles.iter().filter(|(g, _)| groups.contains(g)).map(|(_, r)| *r);
        Some(mapped.max_by_key(rank).unwrap_or(self.default_role))
    }
}

/// Why a single sign-on did not sign someone in: each says what happened and what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoProblem {
    NotConfigured,
    ProviderDown,
    Denied,
    MissingParameters,
    StateMismatch,
    CodeRejected,
    TokenInvalid,
    NoEmail,
    EmailUnverified,
    DomainNotAllowed,
    Deactivated,
    LinkedElsewhere,
}

wire_enum!(SsoProblem, "sign-in problem", {
    NotConfigured => "not_configured",
    ProviderDown => "provider_down",
    Denied => "denied",
    MissingParameters => "missing_parameters",
    StateMismatch => "state_mismatch",
    CodeRejected => "code_rejected",
    TokenInvalid => "token_invalid",
    NoEmail => "no_email",
    EmailUnverified => "email_unverified",
    DomainNotAllowed => "domain_not_allowed",
    Deactivated => "deactivated",
    LinkedElsewhere => "linked_elsewhere",
});

impl SsoProblem {
    pub fn message(self) -> &'static str {
        match self {
            SsoProblem::NotConfigured => "Single sign-on is not set up here. Sign in with your email and password.",
            SsoProblem::ProviderDown => {
                "Your organisation's sign-in service did not answer. Try again in a minute; if it keeps failing, \
                 ask whoever runs it."
            }
            SsoProblem::Denied => "The sign-in service did not let you in. Start again, or ask your admin for access.",
            SsoProblem::MissingParameters => {
                "This sign-in link is incomplete (it should come straight from the sign-in service). Start again."
            }
            SsoProblem::StateMismatch => {
                "This sign-in did not start in this browser, or it was already finished. Start again from this page."
            }
            SsoProblem::CodeRejected => {
                "The sign-in service refused the answer it sent (it may have been used already). Start again."
            }
            SsoProblem::TokenInvalid => {
                "The sign-in service's answer could not be verified. Start again; if it keeps failing, tell your admin."
            }
            SsoProblem::NoEmail => "The sign-in service did not tell us your email address. Ask your admin.",
            SsoProblem::EmailUnverified => {
                "Your email address is not verified with the sign-in service. Verify it there, then start again."
            }
            SsoProblem::DomainNotAllowed => {
                "Accounts with that email domain cannot sign in here. Use your work account, or ask your admin."
            }
            SsoProblem::Deactivated => "This account has been deactivated. Ask an admin if you need it again.",
            SsoProblem::LinkedElsewhere => {
                "The account with this email signs in with another identity at the provider. Ask an admin."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_roles_follow_the_operators_settings() {
        let r = SsoRules::parse(" Example.com, @corp.example ", "member", Some("groups"), "sre=admin, audit=reader")
            .unwrap();
        assert!(r.email_allowed("ada@EXAMPLE.com") && r.email_allowed("b@corp.example"));
        assert!(!r.email_allowed("eve@evil.example") && !r.email_allowed("no-at-sign"));
        assert_eq!(r.role_for(&["audit".into(), "sre".into()]), Some(UserRole::Admin));
        assert_eq!(r.role_for(&["audit".into()]), Some(UserRole::Reader));
        assert_eq!(r.role_for(&[]), Some(UserRole::Member));
        let open = SsoRules::parse("", "reader", None, "").unwrap();
        assert!(open.email_allowed("anyone@anywhere.example"));
        assert_eq!(open.role_for(&["sre".into()]), None, "roles do not follow groups");
    }

    #[test]
    fn bad_settings_say_which() {
        assert!(SsoRules::parse("", "boss", None, "").unwrap_err().contains("DEBRIEF_OIDC_ROLE"));
        assert!(SsoRules::parse("", "member", Some("g"), "sre").unwrap_err().contains("group=role"));
        assert!(SsoRules::parse("", "member", None, "sre=admin").unwrap_err().contains("GROUPS_CLAIM"));
    }

    #[test]
    fn every_problem_has_a_message_and_one_spelling() {
        for p in SsoProblem::ALL {
            assert!(p.message().ends_with('.'), "{p}");
            assert_eq!(p.as_str().parse::<SsoProblem>(), Ok(*p));
        }
    }
}
