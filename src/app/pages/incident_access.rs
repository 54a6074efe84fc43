//! Who may see an incident: the private switch and the participants ("Add people").

use crate::api::incidents::{AddParticipant, RemoveParticipant, SetIncidentPrivate};
use crate::app::components::{typed, FieldError, FormError};
use crate::domain::{IncidentPage as PageData, IncidentStatus};
use leptos::prelude::*;

/// The three actions the page's forms post to.
#[derive(Clone, Copy)]
pub struct AccessActions {
    pub private: ServerAction<SetIncidentPrivate>,
    pub add: ServerAction<AddParticipant>,
    pub remove: ServerAction<RemoveParticipant>,
}

impl AccessActions {
    pub fn new() -> Self {
        AccessActions { private: ServerAction::new(), add: ServerAction::new(), remove: ServerAction::new() }
    }
}

#[component]
pub fn Access(page: PageData, actions: AccessActions) -> impl IntoView {
    let i = page.incident;
    let manage = i.may_manage_access(&page.me);
    let (id, nobody) = (i.id, i.participants.is_empty());
    let private_err = Signal::derive(move || actions.private.value().get().and_then(Result::err));
    let remove_err = Signal::derive(move || actions.remove.value().get().and_then(Result::err));
    let explain = if i.private {
        "Private: only admins, the declarer, role holders, action-item owners and the people below can see it."
    } else {
        "Public: everyone in the organisation can see it."
    };
    view! {
        <section class="access" id="incident-access" data-region="" aria-label="Who can see this incident" data-testid="access">
            <h2>"Who can see it"</h2>
            <p class="hint" data-testid="visibility">{explain}</p>
            <FormError error=private_err/>
            {(manage && i.status != IncidentStatus::Closed).then(|| view! {
                <ActionForm action=actions.private attr:class="inline">
                    <input type="hidden" name="id" value=i.id/>
                    <input type="hidden" name="version" value=i.version/>
                    <input type="hidden" name="private" value=(!i.private).to_string()/>
                    <button type="submit" class="button small" data-testid="toggle-private">
                        {if i.private { "Make public" } else { "Make private" }}
                    </button>
                </ActionForm>
            })}
            <h3>"People added"</h3>
            <FormError error=remove_err/>
            <ul data-testid="participants">
                {i.participants.into_iter().map(|p| view! {
                    <li>
                        {p.name.clone()}
                        {manage.then(|| view! {
                            <ActionForm action=actions.remove attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="user_id" value=p.id/>
                                <button type="submit" class="link">{format!("Remove {}", p.name)}</button>
                            </ActionForm>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            {nobody.then(|| view! { <p class="hint">"No one added yet."</p> })}
            {manage.then(|| view! { <AddPeople id action=actions.add/> })}
        </section>
    }
    .into_any()
}

#[component]
fn AddPeople(id: i64, action: ServerAction<AddParticipant>) -> impl IntoView {
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <ActionForm action attr:class="inline add-people">
            <input type="hidden" name="id" value=id/>
            <label for="add-person">"Add people"</label>
            <input id="add-person" name="person" required maxlength="200" autocomplete="off"
                placeholder="Name or email" value=typed(err, "person") aria-describedby="person-error"/>
            <button type="submit" class="button small">"Add"</button>
            <FieldError error=err field="person"/>
            <FormError error=err/>
        </ActionForm>
    }
}
