//! An incident's action items, on the incident page and in the postmortem.

use super::form::ActionFields;
use super::*;
use crate::api::actions::{incident_actions, CreateAction};
use crate::app::components::{Failure, FormError};
use crate::domain::actions::ActionList;
use leptos::prelude::*;

/// An incident's action items, read on their own: the postmortem's action items section. (The
/// incident page reads them with the rest of the page and shows them with [`ActionsOf`].)
#[component]
pub fn IncidentActions(incident_id: i64) -> impl IntoView {
    let list = Resource::new(|| (), move |_| incident_actions(incident_id));
    view! {
        <Suspense fallback=|| view! { <p>"Loading action items…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(list) => view! { <ActionsOf incident_id list/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The items with their figures and a form to add one. List and form are regions of their own, so
/// a live update of the list never wipes what is being typed into the form.
#[component]
pub fn ActionsOf(incident_id: i64, list: ActionList) -> impl IntoView {
    let create = ServerAction::<CreateAction>::new();
    let err = Signal::derive(move || create.value().get().and_then(Result::err));
    let writer = list.me.can_write();
    let shown = if list.items.is_empty() {
        view! { <p class="empty">"No action items yet."</p> }.into_any()
    } else {
        view! { <CountsLine counts=list.counts/> <ActionTable items=list.items/> }.into_any()
    };
    view! {
        <div class="incident-actions" data-testid="incident-actions">
            <div id=format!("action-list-{incident_id}") data-region="">{shown}</div>
            {writer.then(|| view! {
                <details class="new-action" id=format!("new-action-{incident_id}") data-region="" open=move || err.get().is_some()>
                    <summary data-testid="new-action">"Add an action item"</summary>
                    <ActionForm action=create attr:class="action-form">
                        <input type="hidden" name="incident_id" value=incident_id/>
                        <FormError error=err/>
                        <ActionFields err prefix="new-action"/>
                        <button type="submit" class="button primary">"Add action item"</button>
                    </ActionForm>
                </details>
            })}
        </div>
    }
}
