//! An incident an alert opened waits in triage: a responder accepts it (investigating, declared now)
//! or declines it with a reason. Plain forms, so both work without JavaScript.

use crate::api::integrations::{AcceptIncident, DeclineIncident};
use crate::app::components::{typed, FieldError, FormError};
use crate::domain::IncidentSource;
use leptos::prelude::*;

#[component]
pub fn TriagePanel(id: i64, source: Option<IncidentSource>) -> impl IntoView {
    let accept = ServerAction::<AcceptIncident>::new();
    let decline = ServerAction::<DeclineIncident>::new();
    let accept_err = Signal::derive(move || accept.value().get().and_then(Result::err));
    let err = Signal::derive(move || decline.value().get().and_then(Result::err));
    // The live stream refreshes the page's regions once either has gone through.
    view! {
        <section class="triage-panel" aria-label="Triage" data-testid="triage">
            <p>
                <strong>"Opened by an alert"</strong>
                {source.map(|s| format!(" from {} ({})", s.integration_name, s.kind))}
                ". Is it an incident?"
            </p>
            <FormError error=accept_err/>
            <ActionForm action=accept attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button primary">"Accept: start investigating"</button>
            </ActionForm>
            <details class="close-form" open=move || err.get().is_some()>
                <summary>"Decline: not an incident"</summary>
                <ActionForm action=decline>
                    <input type="hidden" name="id" value=id/>
                    <label for="decline-reason">"Why is this not an incident?"</label>
                    <input id="decline-reason" name="reason" required placeholder="test alert" value=typed(err, "reason")/>
                    <FieldError error=err field="reason"/>
                    <FormError error=err/>
                    <button type="submit" class="button">"Decline"</button>
                </ActionForm>
            </details>
        </section>
    }
}
