//! Shared types and rules. Pure: no I/O, compiled for both the server and the browser.

pub mod accounts;
pub mod actions;
pub mod alerts;
pub mod blameless;
pub mod diff;
pub mod export;
pub mod html;
pub mod incident;
pub mod insights;
pub mod milestones;
pub mod notify;
pub mod paging;
pub mod postmortem;
pub mod redirect;
pub mod slack;
pub mod sso;
pub mod status;
pub mod time;
pub mod types;
pub mod validate;

pub use incident::{EventKind, IncidentStatus, KeyKind, Role, Severity, UserRole};
pub use types::*;
