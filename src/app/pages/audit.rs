//! The admins' audit log: filtered by a plain GET form, paged, downloadable as CSV.

use crate::api::people::{audit_log, AuditRow};
use crate::app::components::{Failure, PageLinks, When};
use crate::domain::accounts::AuditAction;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &str| query.read().get(k).filter(|s| !s.is_empty());
    let filters = move || [q("actor"), q("action"), q("object"), q("from"), q("to"), q("cursor")];
    let page = Resource::new(filters, |[actor, action, object, from, to, cursor]| {
        audit_log(actor, action, object, from, to, cursor)
    });
    let location = use_location();
    let csv = move || {
        let search = location.search.get();
        let kept: Vec<&str> =
            search.trim_start_matches('?').split('&').filter(|kv| !kv.starts_with("cursor=")).collect();
        format!("/audit.csv?{}", kept.join("&"))
    };
    view! {
        <Title text="Audit log"/>
        <h1>"Audit log"</h1>
        <p class="hint">"Every sign-in, account change, token, setting and access change, newest first. Entries cannot be changed or deleted."</p>
        <AuditFilterForm/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! {
                        <PageLinks shown=p.items.len() total=p.total next=p.next.clone()/>
                        <p><a href=csv download="">"Download as CSV"</a></p>
                        <AuditTable rows=p.items/>
                    }.into_any(),
                    Err(e @ AppError::Invalid { .. }) => view! {
                        <div class="notice error" role="alert"><p>{e.to_string()}</p><p><a href="/audit">"Clear the filters"</a></p></div>
                    }.into_any(),
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditFilterForm() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &'static str| query.read().get(k).unwrap_or_default();
    view! {
        <form method="get" action="/audit" class="filters wrap" aria-label="Filter the audit log">
            <label>"Person "<input name="actor" size="16" placeholder="email or user id" value=q("actor")/></label>
            <label>"Action "<select name="action">
                <option value="">"Any"</option>
                {AuditAction::ALL.iter().map(|a| view! {
                    <option value=a.as_str() selected=move || q("action") == a.as_str()>{a.as_str()}</option>
                }).collect_view()}
            </select></label>
            <label>"Object "<input name="object" size="16" placeholder="INC-12, a name…" value=q("object")/></label>
            <label>"From "<input name="from" type="date" value=q("from")/></label>
            <label>"To "<input name="to" type="date" value=q("to")/></label>
            <button type="submit" class="button">"Filter"</button>
        </form>
    }
}

#[component]
fn AuditTable(rows: Vec<AuditRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No entries match."</p> }.into_any();
    }
    view! {
        <table class="list" data-testid="audit">
            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Object"</th><th>"From"</th><th>"Change"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let e = r.entry;
                    let who = e.actor.map(|a| match a.token_id {
                        Some(t) => format!("{} (token {t})", a.name),
                        None => a.name,
                    });
                    let object = e.object.map(|o| format!("{} {} {}", o.kind, o.id, o.name));
                    view! {
                        <tr>
                            <td><When stamp=r.at/></td>
                            <td>{who.unwrap_or_else(|| "—".into())}</td>
                            <td><code>{e.action.as_str()}</code></td>
                            <td>{object.unwrap_or_default()}</td>
                            <td>{e.address.unwrap_or_default()}</td>
                            <td><code class="change">{e.change.map(|c| c.to_string()).unwrap_or_default()}</code></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}
