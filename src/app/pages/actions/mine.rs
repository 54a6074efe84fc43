//! The viewer's own action items.

use super::*;
use crate::api::actions::my_actions;
use crate::app::components::Failure;
use crate::domain::actions::ActionItem;
use leptos::prelude::*;
use leptos_meta::Title;

/// Everything the viewer owns: check-backs waiting for an answer, then overdue items, then by due date.
#[component]
pub fn MyActionsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| my_actions());
    view! {
        <Title text="My action items"/>
        <ActionTabs current="mine"/>
        <h1>"My action items"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(l) => {
                        let asks: Vec<ActionItem> = l.items.iter().filter(|i| i.check_back_due).cloned().collect();
                        let open: Vec<ActionItem> = l.items.iter().filter(|i| !i.status.is_finished()).cloned().collect();
                        let finished: Vec<ActionItem> = l.items.iter().filter(|i| i.status.is_finished()).cloned().collect();
                        view! {
                            <CountsLine counts=l.counts/>
                            {(!asks.is_empty()).then(|| view! {
                                <section class="check-back due" data-testid="my-check-backs">
                                    <h2>"Did it work? Your answer is due"</h2>
                                    <ul>
                                        {asks.into_iter().map(|i| view! {
                                            <li><a href=action_url(i.id)>{i.title.clone()}</a>
                                                <span class="hint">{format!(" — done; check back on {}", i.check_back_on.map(|d| d.to_string()).unwrap_or_default())}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            })}
                            <h2>"To do"</h2>
                            {if open.is_empty() {
                                view! { <p class="empty">"Nothing assigned to you is open."</p> }.into_any()
                            } else {
                                view! { <ActionTable items=open incidents=true/> }.into_any()
                            }}
                            {(!finished.is_empty()).then(|| view! {
                                <h2>"Finished"</h2>
                                <ActionTable items=finished incidents=true/>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
