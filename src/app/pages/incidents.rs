use crate::api::incidents::list_incidents;
use crate::app::components::{Failure, PageLinks, SeverityBadge, StatusBadge, When};
use crate::domain::{IncidentStatus, Severity};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// Open incidents first, then recent ones; filters are a plain GET form.
#[component]
pub fn IncidentsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let severity = move || query.read().get("severity").filter(|s| !s.is_empty());
    let cursor = move || query.read().get("cursor").filter(|s| !s.is_empty());
    let incidents = Resource::new(move || (status(), severity(), cursor()), |(st, sev, c)| list_incidents(st, sev, c));
    view! {
        <Title text="Incidents"/>
        <div class="page-head">
            <h1>"Incidents"</h1>
            <form method="get" action="/incidents" class="filters" aria-label="Filter incidents">
                <label for="f-status">"Status"</label>
                <select id="f-status" name="status">
                    <option value="">"Any"</option>
                    {IncidentStatus::ALL.iter().map(|s| {
                        let v = s.as_str();
                        view! { <option value=v selected=move || status().as_deref() == Some(v)>{s.label()}</option> }
                    }).collect_view()}
                </select>
                <label for="f-severity">"Severity"</label>
                <select id="f-severity" name="severity">
                    <option value="">"Any"</option>
                    {Severity::ALL.iter().map(|s| {
                        let v = s.as_str();
                        view! { <option value=v selected=move || severity().as_deref() == Some(v)>{v}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" class="button">"Filter"</button>
            </form>
        </div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match incidents.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="empty">"No incidents match. "<A href="/incidents/new">"Declare one"</A>" when something breaks."</p>
                    }.into_any(),
                    Ok(page) => view! {
                        <PageLinks shown=page.items.len() total=page.total next=page.next.clone()/>
                        <table class="list incidents" data-testid="incident-list">
                            <thead>
                                <tr><th>"Ref"</th><th>"Title"</th><th>"Severity"</th><th>"Status"</th><th>"Started"</th><th>"Duration"</th></tr>
                            </thead>
                            <tbody>
                                {page.items.into_iter().map(|r| {
                                    let open = r.incident.status.is_open();
                                    view! {
                                        <tr class:open=open>
                                            <td><A href=r.incident.url.clone()>{r.incident.reference.clone()}</A></td>
                                            <td><A href=r.incident.url.clone()>{r.incident.title.clone()}</A></td>
                                            <td><SeverityBadge severity=r.incident.severity/></td>
                                            <td><StatusBadge status=r.incident.status/></td>
                                            <td><When stamp=r.started/></td>
                                            <td>{r.duration}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
