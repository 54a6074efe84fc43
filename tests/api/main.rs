//! JSON API tests on real Postgres: a fresh database per test (`#[sqlx::test]`), real HTTP.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod action_flows;
mod actions;
mod alertmanager;
mod alerts;
mod auth;
mod cli;
mod destinations;
mod form_state;
mod incidents;
mod insights;
mod limits;
mod live;
mod mail;
mod matrix;
mod metrics;
mod milestones;
mod openapi;
mod pages;
mod paging;
mod people;
mod postmortem_extras;
mod postmortems;
mod private;
mod reviews;
mod sign_in;
mod sso;
mod stakeholder;
mod status;
mod storage;
mod support;
mod timeline;
mod tokens;
mod transfer;
mod updates;
mod webhooks;
