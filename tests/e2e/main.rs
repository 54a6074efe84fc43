//! Browser tests: the real app (fresh database per test) driven in headless Chromium.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod actions;
mod browser;
mod flows;
mod insights;
mod notifications;
mod phone;
mod postmortem;
mod private;
mod publish;
mod status;
#[path = "../api/support.rs"]
mod support;
mod triage;
mod updates;
