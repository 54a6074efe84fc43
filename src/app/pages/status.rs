//! `/status`: every service's state, the open incidents with their latest update, and what was
//! resolved in the last week. Refreshes itself every minute, so a wall screen or a worried reader
//! needs no JavaScript to stay current.

use crate::api::status::{status_view, StatusData, StatusIncidentView};
use crate::app::components::{Failure, SeverityBadge, When};
use crate::domain::status::{ServiceState, ServiceStatus};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

#[component]
pub fn StatusPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| status_view());
    view! {
        <Title text="Status"/>
        <Meta http_equiv="refresh" content="60"/>
        <Link rel="alternate" type_="application/atom+xml" href="/status/feed.xml" title="Status updates"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(view) => view! { <StatusBody view/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn state_class(state: ServiceState) -> String {
    format!("state {}", state.as_str().replace('_', "-"))
}

#[component]
fn StatusBody(view: StatusData) -> impl IntoView {
    let StatusData { page, generated, open, resolved, .. } = view;
    let headline = match page.state {
        ServiceState::Operational => "All services are operational",
        ServiceState::Degraded => "Some services are degraded",
        ServiceState::MajorOutage => "Major outage",
    };
    view! {
        <h1 class=state_class(page.state) data-testid="overall">{headline}</h1>
        <p class="hint">"As of " <When stamp=generated/> " \u{b7} refreshes every minute \u{b7} "
            <a href="/status/feed.xml">"Atom feed of updates"</a></p>
        <ServiceList services=page.services/>
        <h2>"Open incidents"</h2>
        {if open.is_empty() {
            view! { <p class="empty">"No open incidents."</p> }.into_any()
        } else {
            open.into_iter().map(|i| view! { <StatusIncidentCard i/> }).collect_view().into_any()
        }}
        <h2>"Resolved in the last 7 days"</h2>
        {if resolved.is_empty() {
            view! { <p class="empty">"Nothing resolved this week."</p> }.into_any()
        } else {
            resolved.into_iter().map(|i| view! { <StatusIncidentCard i/> }).collect_view().into_any()
        }}
        <p class="hint">"A SEV1 is a major outage of the services it names; a SEV2 or SEV3 degrades them; a SEV4 "
            "has no customer impact and leaves them operational. Private incidents and unconfirmed alerts are not shown."</p>
    }
}

#[component]
fn ServiceList(services: Vec<ServiceStatus>) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="empty">"No services yet: admins add them under Settings \u{2192} Status page."</p> }
            .into_any();
    }
    view! {
        <table class="list" data-testid="services">
            <thead><tr><th>"Service"</th><th>"State"</th><th>"Team"</th><th>"Incidents"</th></tr></thead>
            <tbody>
                {services.into_iter().map(|s| view! {
                    <tr data-service=s.name.clone()>
                        <td>{s.name.clone()}<br/><span class="hint">{s.description.clone()}</span></td>
                        <td><span class=state_class(s.state)>{s.state.label()}</span></td>
                        <td>{s.team.clone()}</td>
                        <td>{s.incidents.iter().map(|r| view! { <a href=format!("#{r}")>{r.clone()}</a>" " }).collect_view()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn StatusIncidentCard(i: StatusIncidentView) -> impl IntoView {
    let inc = i.incident;
    let services = inc.services.join(", ");
    view! {
        <section class="card" id=inc.reference.clone() data-testid="status-incident">
            <h3><SeverityBadge severity=inc.severity/> " " {format!("{} {}", inc.reference, inc.title)}</h3>
            <p class="hint">{inc.status.label()} " \u{b7} " {services} " \u{b7} declared " <When stamp=i.declared/>
                {i.resolved.map(|r| view! { " \u{b7} resolved " <When stamp=r/> })}</p>
            {match inc.latest_update {
                None => view! { <p class="hint">"No update posted yet."</p> }.into_any(),
                Some(u) => view! {
                    <blockquote data-testid="status-update">
                        <p>{u.message}</p>
                        {(!u.impact.is_empty()).then(|| view! { <p><strong>"Impact: "</strong>{u.impact}</p> })}
                        <p class="hint">"Posted " {i.posted.map(|s| view! { <When stamp=s/> })}
                            {i.next.map(|n| view! { " \u{b7} next update by " <When stamp=n/> })}
                            {i.overdue.then(|| view! { " " <span class="badge overdue">"update overdue"</span> })}</p>
                    </blockquote>
                }.into_any(),
            }}
        </section>
    }
}
