//! Every action item, filtered by a plain GET form.

use super::*;
use crate::api::actions::list_actions;
use crate::app::components::{Failure, PageLinks};
use crate::domain::actions::{ActionStatus, ActionType, IncidentCounts, Priority};
use crate::domain::{incident_ref, incident_url, Severity};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Every item, filtered by a plain GET form, with counts and completion overall and per incident.
#[component]
pub fn ActionsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &'static str| query.read().get(k).filter(|s| !s.is_empty());
    let list = Resource::new(
        move || {
            (
                [q("status"), q("owner"), q("type"), q("priority"), q("overdue")],
                [q("severity"), q("team"), q("service"), q("incident"), q("sort"), q("cursor")],
            )
        },
        |([status, owner, kind, priority, overdue], [severity, team, service, incident, sort, cursor])| {
            list_actions(status, owner, kind, priority, overdue, severity, team, service, incident, sort, cursor)
        },
    );
    view! {
        <Title text="All action items"/>
        <ActionTabs current="all"/>
        <h1>"All action items"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let l = match list.await {
                    Ok(l) => l,
                    Err(e @ AppError::Invalid { .. }) => {
                        return view! {
                            <div class="notice error" role="alert"><p>{e.to_string()}</p><p><a href="/actions">"Clear the filters"</a></p></div>
                        }.into_any();
                    }
                    Err(e) => return view! { <Failure error=e/> }.into_any(),
                };
                view! {
                    <ActionFilters teams=l.teams.clone()/>
                    <PageLinks shown=l.items.len() total=l.counts.total as i64 next=l.next.clone()/>
                    <CountsLine counts=l.counts/>
                    {if l.items.is_empty() {
                        view! { <p class="empty">"No action items match."</p> }.into_any()
                    } else {
                        view! {
                            <ActionTable items=l.items incidents=true/>
                            <ByIncident rows=l.by_incident/>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}

/// The filters, a plain GET form that keeps what was chosen.
#[component]
fn ActionFilters(teams: Vec<String>) -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &'static str| query.read().get(k).filter(|s| !s.is_empty());
    let selected = move |k: &'static str, v: String| move || q(k).as_deref() == Some(v.as_str());
    let option = move |k: &'static str, v: String, label: String| {
        view! { <option value=v.clone() selected=selected(k, v)>{label}</option> }
    };
    view! {
        <form method="get" action="/actions" class="filters wrap" aria-label="Filter action items">
            <label>"Status "<select name="status">
                <option value="">"Any"</option>
                {ActionStatus::ALL.iter().map(|s| option("status", s.as_str().into(), s.label().into())).collect_view()}
            </select></label>
            // Typed, never a list of everyone: "me", a name or an email.
            <label>"Owner "<input name="owner" size="14" placeholder="me, a name or email"
                value=q("owner").unwrap_or_default()/></label>
            <label>"Type "<select name="type">
                <option value="">"Any"</option>
                {ActionType::ALL.iter().map(|t| option("type", t.as_str().into(), t.label().into())).collect_view()}
            </select></label>
            <label>"Priority "<select name="priority">
                <option value="">"Any"</option>
                {Priority::ALL.iter().map(|p| option("priority", p.as_str().into(), p.as_str().into())).collect_view()}
            </select></label>
            <label>"Overdue "<select name="overdue">
                <option value="">"Either"</option>
                {option("overdue", "true".into(), "Overdue only".into())}
                {option("overdue", "false".into(), "Not overdue".into())}
            </select></label>
            <label>"Severity "<select name="severity">
                <option value="">"Any"</option>
                {Severity::ALL.iter().map(|s| option("severity", s.as_str().into(), s.as_str().into())).collect_view()}
            </select></label>
            <label>"Team "<select name="team">
                <option value="">"Any"</option>
                {teams.iter().map(|t| option("team", t.clone(), t.clone())).collect_view()}
            </select></label>
            <label>"Service "<input name="service" size="12" value=q("service").unwrap_or_default()/></label>
            <label>"Sort "<select name="sort">
                {option("sort", "due".into(), "Due soonest".into())}
                {option("sort", "-due".into(), "Due latest".into())}
            </select></label>
            {q("incident").map(|i| view! { <input type="hidden" name="incident" value=i/> })}
            <button type="submit" class="button">"Filter"</button>
            <a href="/actions">"Clear"</a>
        </form>
    }
}

/// Counts and completion per incident.
#[component]
fn ByIncident(rows: Vec<IncidentCounts>) -> impl IntoView {
    view! {
        <h2>"By incident"</h2>
        <table class="list" data-testid="counts-by-incident">
            <thead><tr><th>"Incident"</th><th>"Items"</th><th>"Done"</th><th>"Won't do"</th><th>"Overdue"</th><th>"Completion"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|c| view! {
                    <tr>
                        <td><a href=incident_url(c.incident_id)>{incident_ref(c.incident_id)}</a>" "{c.title}</td>
                        <td>{c.counts.total}</td>
                        <td>{c.counts.done}</td>
                        <td>{c.counts.wont_do}</td>
                        <td>{(c.counts.overdue > 0).then(|| view! { <span class="badge overdue">{c.counts.overdue}</span> })}</td>
                        <td>{c.counts.completion_rate.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
