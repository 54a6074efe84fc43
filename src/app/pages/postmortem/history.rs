use crate::api::postmortems::section_history;
use crate::app::components::{Failure, PageLinks};
use crate::domain::diff::DiffLine;
use crate::domain::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A section's saved versions, and the difference between any two.
#[component]
pub fn SectionHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let p = params.read();
            let q = query.read();
            (
                p.get("reference").unwrap_or_default(),
                p.get("key").unwrap_or_default(),
                q.get("from").and_then(|v| v.parse().ok()),
                q.get("to").and_then(|v| v.parse().ok()),
                q.get("cursor").filter(|c| !c.is_empty()),
            )
        },
        |(r, k, f, t, c)| section_history(r, k, f, t, c),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(h) => {
                        let (from, to) = h.diff.as_ref().map(|(f, t, _)| (*f, *t)).unwrap_or((0, 0));
                        let latest = h.latest;
                        view! {
                            <Title text=format!("History: {}", h.title)/>
                            <p class="ref"><a href=format!("{}/postmortem", h.incident.url)>{format!("{} postmortem", h.incident.reference)}</a></p>
                            <h1>"History: " {h.title.clone()}</h1>
                            <form method="get" class="filters">
                                // Numbers rather than a list of every version: a long history stays one small page.
                                <label for="from">"Compare version (0 is empty)"</label>
                                <input id="from" name="from" type="number" min="0" max=latest value=from size="5"/>
                                <label for="to">"with"</label>
                                <input id="to" name="to" type="number" min="1" max=latest value=to size="5"/>
                                <button type="submit" class="button">"Show difference"</button>
                            </form>
                            {h.diff.map(|(_, _, lines)| view! {
                                <pre class="diff" data-testid="diff">
                                    {lines.into_iter().map(|l| match l {
                                        DiffLine::Same(t) => view! { <span class="same">{format!("  {t}\n")}</span> }.into_any(),
                                        DiffLine::Added(t) => view! { <ins>{format!("+ {t}\n")}</ins> }.into_any(),
                                        DiffLine::Removed(t) => view! { <del>{format!("- {t}\n")}</del> }.into_any(),
                                    }).collect_view()}
                                </pre>
                            })}
                            <PageLinks shown=h.revisions.items.len() total=h.revisions.total next=h.revisions.next.clone()/>
                            <table class="list">
                                <thead><tr><th>"Version"</th><th>"By"</th><th>"Saved (UTC)"</th></tr></thead>
                                <tbody>
                                    {h.revisions.items.into_iter().map(|r| view! {
                                        <tr><td>{format!("v{}", r.version)}</td><td>{r.author.name}</td><td>{format_utc(r.created_at)}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
