//! Server functions for action items. Each is thin: the rules live in `server::actions`, shared
//! with the REST API.

// A server function takes one argument per form field, and item forms have many.
#![allow(clippy::too_many_arguments)]

use crate::domain::actions::ActionItem;
pub use crate::domain::actions::{ActionList, ActionPage, ChangeRow, IncidentCounts};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::ctx,
    crate::server::actions::{self as ops, ActionPatch, ListParams, NewActionInput},
    crate::server::people::Person,
};

/// One's own items and one incident's are shown whole, up to the largest page.
#[cfg(feature = "ssr")]
fn most() -> String {
    crate::domain::paging::MAX_LIMIT.to_string()
}

/// All action items, filtered as the list page's GET form asks.
#[server]
pub async fn list_actions(
    status: Option<String>,
    owner: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    overdue: Option<String>,
    severity: Option<String>,
    team: Option<String>,
    service: Option<String>,
    incident: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
) -> Result<ActionList, AppError> {
    let (state, me) = ctx::user().await?;
    let params = ListParams {
        incident,
        owner,
        status,
        overdue,
        kind,
        priority,
        severity,
        service,
        team,
        sort,
        cursor,
        limit: None,
    };
    ops::list_page(&state.pool, &me, &params, true).await
}

/// The viewer's own items: overdue first, then by due date.
#[server]
pub async fn my_actions() -> Result<ActionList, AppError> {
    let (state, me) = ctx::user().await?;
    let params = ListParams { owner: Some("me".into()), limit: Some(most()), ..Default::default() };
    ops::list_page(&state.pool, &me, &params, false).await
}

/// One incident's items, for the incident page and the postmortem's action table.
#[server]
pub async fn incident_actions(id: i64) -> Result<ActionList, AppError> {
    let (state, me) = ctx::user().await?;
    let params = ListParams { incident: Some(id.to_string()), limit: Some(most()), ..Default::default() };
    ops::list_page(&state.pool, &me, &params, false).await
}

#[server]
pub async fn get_action_page(id: i64) -> Result<ActionPage, AppError> {
    let (state, me) = ctx::user().await?;
    ops::page(&state.pool, &me, id).await
}

/// What an item's create or edit form sent, kept to be shown again beside any error.
#[cfg(feature = "ssr")]
struct Typed {
    title: String,
    description: Option<String>,
    owner: Option<String>,
    due_on: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    tracker_url: Option<String>,
    success_criterion: Option<String>,
    check_back_on: Option<String>,
}

#[cfg(feature = "ssr")]
impl Typed {
    fn keep(&self, e: AppError) -> AppError {
        fn v(o: &Option<String>) -> &str {
            o.as_deref().unwrap_or("")
        }
        e.with_values([
            ("title", self.title.as_str()),
            ("description", v(&self.description)),
            ("owner", v(&self.owner)),
            ("due_on", v(&self.due_on)),
            ("type", v(&self.kind)),
            ("priority", v(&self.priority)),
            ("tracker_url", v(&self.tracker_url)),
            ("success_criterion", v(&self.success_criterion)),
            ("check_back_on", v(&self.check_back_on)),
        ])
    }

    /// The owner field: a name or email; left empty it means `otherwise`.
    fn owner(&self, otherwise: Option<Person>) -> Option<Person> {
        match self.owner.as_deref().map(str::trim).unwrap_or("") {
            "" => otherwise,
            s => Some(Person::NameOrEmail(s.to_string())),
        }
    }

    fn input(&self, default_owner: Option<Person>) -> NewActionInput {
        let v = |o: &Option<String>| o.clone().unwrap_or_default();
        NewActionInput {
            title: self.title.clone(),
            description: Some(v(&self.description)),
            owner: self.owner(default_owner),
            due_on: v(&self.due_on),
            kind: v(&self.kind),
            priority: v(&self.priority),
            tracker_url: Some(v(&self.tracker_url)),
            success_criterion: Some(v(&self.success_criterion)),
            check_back_on: Some(v(&self.check_back_on)),
        }
    }

    /// Every field is on the edit form, so every field is sent; an empty owner keeps the owner.
    fn patch(&self, version: i32) -> ActionPatch {
        let i = self.input(None);
        ActionPatch {
            version: Some(version),
            title: Some(i.title),
            description: i.description,
            owner: i.owner,
            due_on: Some(i.due_on),
            kind: Some(i.kind),
            priority: Some(i.priority),
            status: None,
            reason: None,
            tracker_url: i.tracker_url,
            success_criterion: i.success_criterion,
            check_back_on: i.check_back_on,
        }
    }
}

/// Creates an item on an incident; on failure everything typed comes back with the messages.
#[server]
pub async fn create_action(
    incident_id: i64,
    title: String,
    description: Option<String>,
    owner: Option<String>,
    due_on: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    tracker_url: Option<String>,
    success_criterion: Option<String>,
    check_back_on: Option<String>,
) -> Result<ActionItem, AppError> {
    let (state, user) = ctx::user().await?;
    let typed =
        Typed { title, description, owner, due_on, kind, priority, tracker_url, success_criterion, check_back_on };
    // Left empty, the owner is whoever adds the item.
    let input = typed.input(Some(Person::Id(user.id)));
    ops::create(&state.pool, &user, incident_id, input).await.map_err(|e| typed.keep(e))
}

/// Saves the item's details from its edit form.
#[server]
pub async fn edit_action(
    id: i64,
    version: i32,
    title: String,
    description: Option<String>,
    owner: Option<String>,
    due_on: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    tracker_url: Option<String>,
    success_criterion: Option<String>,
    check_back_on: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let typed =
        Typed { title, description, owner, due_on, kind, priority, tracker_url, success_criterion, check_back_on };
    ops::update(&state.pool, &user, id, typed.patch(version)).await.map_err(|e| typed.keep(e))?;
    Ok(())
}

/// Moves the item along its status machine; won't-do takes a reason.
#[server]
pub async fn move_action(id: i64, version: i32, status: String, reason: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let patch = ActionPatch {
        version: Some(version),
        status: Some(status.clone()),
        reason: reason.clone().filter(|r| !r.trim().is_empty()),
        ..Default::default()
    };
    ops::update(&state.pool, &user, id, patch)
        .await
        .map_err(|e| e.with_values([("status", status.as_str()), ("reason", reason.as_deref().unwrap_or(""))]))?;
    Ok(())
}

/// Answers "did it work?".
#[server]
pub async fn answer_check_back(id: i64, outcome: Option<String>, note: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let outcome = outcome.unwrap_or_default();
    ops::check(&state.pool, &user, id, &outcome, note.as_deref())
        .await
        .map_err(|e| e.with_values([("outcome", outcome.as_str()), ("note", note.as_deref().unwrap_or(""))]))?;
    Ok(())
}

/// One click from a "did not work" answer to a new follow-up, then to its page.
#[server]
pub async fn follow_up_action(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let (item, _) = ops::follow_up(&state.pool, &user, id).await?;
    leptos_axum::redirect(&format!("/actions/{}", item.id));
    Ok(())
}
