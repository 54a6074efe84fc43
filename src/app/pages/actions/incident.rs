//! An incident's action items, on the incident page and in the postmortem.

use super::form::ActionFields;
use super::*;
use crate::api::actions::{action_form_options, incident_actions, CreateAction};
use crate::app::components::{Failure, FormError};
use leptos::prelude::*;

/// An incident's action items with their figures and a form to add one. Used on the incident page
/// and in the postmortem's action items section. List and form are regions of their own, so a live
/// update of the list never wipes what is being typed into the form.
#[component]
pub fn IncidentActions(incident_id: i64) -> impl IntoView {
    let create = ServerAction::<CreateAction>::new();
    let list = Resource::new(|| (), move |_| incident_actions(incident_id));
    let options = Resource::new(|| (), |_| action_form_options());
    let err = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <div class="incident-actions" data-testid="incident-actions">
            <Suspense fallback=|| view! { <p>"Loading action items…"</p> }>
                {move || Suspend::new(async move {
                    let list = match list.await {
                        Err(e) => view! { <Failure error=e/> }.into_any(),
                        Ok(l) if l.items.is_empty() => view! { <p class="empty">"No action items yet."</p> }.into_any(),
                        Ok(l) => view! { <CountsLine counts=l.counts/> <ActionTable items=l.items/> }.into_any(),
                    };
                    view! { <div id=format!("action-list-{incident_id}") data-region="">{list}</div> }
                })}
            </Suspense>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    options.await.ok().filter(|o| o.me.can_write()).map(|_| view! {
                        <details class="new-action" id=format!("new-action-{incident_id}") data-region="" open=move || err.get().is_some()>
                            <summary data-testid="new-action">"Add an action item"</summary>
                            <ActionForm action=create attr:class="action-form">
                                <input type="hidden" name="incident_id" value=incident_id/>
                                <FormError error=err/>
                                <ActionFields err prefix="new-action"/>
                                <button type="submit" class="button primary">"Add action item"</button>
                            </ActionForm>
                        </details>
                    })
                })}
            </Suspense>
        </div>
    }
}
