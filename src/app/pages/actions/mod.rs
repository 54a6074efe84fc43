//! Action items: the incident's and postmortem's list with its create form (`incident`), one item's
//! page (`item`), the viewer's own items (`mine`) and the filtered overview (`overview`). This file
//! holds the parts they share.

mod form;
mod incident;
mod item;
mod mine;
mod overview;

pub use incident::{ActionsOf, IncidentActions};
pub use item::ActionItemPage;
pub use mine::MyActionsPage;
pub use overview::ActionsPage;

use crate::app::components::SeverityBadge;
use crate::domain::actions::{ActionCounts, ActionItem, ActionStatus, Outcome};
use crate::domain::{incident_ref, incident_url};
use leptos::prelude::*;

fn action_url(id: i64) -> String {
    format!("/actions/{id}")
}

/// `12 items · 3 open · … · 71% done`.
#[component]
fn CountsLine(counts: ActionCounts) -> impl IntoView {
    let rate = counts.completion_rate.map(|r| format!("{:.0}% done", r * 100.0));
    view! {
        <p class="counts" data-testid="action-counts">
            {format!(
                "{} {} · {} open · {} in progress · {} done · {} won't do",
                counts.total,
                if counts.total == 1 { "item" } else { "items" },
                counts.open,
                counts.in_progress,
                counts.done,
                counts.wont_do
            )}
            {(counts.overdue > 0).then(|| view! { " · " <span class="badge overdue">{format!("{} overdue", counts.overdue)}</span> })}
            {rate.map(|r| view! { " · " <strong>{r}</strong> })}
        </p>
    }
}

#[component]
fn StatusTag(status: ActionStatus) -> impl IntoView {
    view! { <span class=format!("badge action-status {}", status.as_str()) data-testid="action-status">{status.label()}</span> }
}

#[component]
fn OutcomeTag(outcome: Outcome) -> impl IntoView {
    view! { <span class=format!("badge outcome {}", outcome.as_str()) data-testid="action-outcome">{outcome.label()}</span> }
}

/// The items as a table; `incidents` adds a column naming each item's incident.
#[component]
fn ActionTable(items: Vec<ActionItem>, #[prop(optional)] incidents: bool) -> impl IntoView {
    view! {
        <table class="list actions" data-testid="action-list">
            <thead>
                <tr>
                    <th>"Action"</th>
                    {incidents.then(|| view! { <th>"Incident"</th> })}
                    <th>"Owner"</th><th>"Due"</th><th>"Type"</th><th>"Priority"</th><th>"Status"</th><th>"Did it work?"</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|i| view! {
                    <tr class:overdue=i.overdue data-testid=format!("action-{}", i.id)>
                        <td><a href=action_url(i.id)>{i.title.clone()}</a></td>
                        {incidents.then(|| view! {
                            <td>
                                <a href=incident_url(i.incident_id)>{incident_ref(i.incident_id)}</a>" "
                                <SeverityBadge severity=i.incident_severity/>
                                <span class="hint">" "{i.incident_title.clone()}</span>
                            </td>
                        })}
                        <td>{i.owner_name.clone()}</td>
                        <td>
                            {i.due_on.to_string()}
                            {i.overdue.then(|| view! { " " <span class="badge overdue">"Overdue"</span> })}
                        </td>
                        <td>{i.kind.label()}</td>
                        <td>{i.priority.as_str()}</td>
                        <td><StatusTag status=i.status/></td>
                        <td>
                            {match (i.outcome, i.check_back_due) {
                                (Some(o), _) => view! { <OutcomeTag outcome=o/> }.into_any(),
                                (None, true) => view! { <a href=action_url(i.id) class="badge ask">"Answer now"</a> }.into_any(),
                                (None, false) => i.check_back_on.map(|d| format!("ask on {d}")).unwrap_or_default().into_any(),
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn ActionTabs(current: &'static str) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Action items">
            <a href="/actions/mine" aria-current=(current == "mine").then_some("page")>"My action items"</a>
            <a href="/actions" aria-current=(current == "all").then_some("page")>"All action items"</a>
        </nav>
    }
}
