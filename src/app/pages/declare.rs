use crate::api::incidents::DeclareIncident;
use crate::app::components::{raw_text, typed, FieldError, FormError, RequireSignIn};
use crate::domain::Severity;
use leptos::prelude::*;
use leptos_meta::Title;

/// Declaring takes a title and a severity and one submit; the rest is optional and folded away.
#[component]
pub fn DeclarePage() -> impl IntoView {
    let action = ServerAction::<DeclareIncident>::new();
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    let sev = typed(err, "severity");
    view! {
        <Title text="Declare incident"/>
        <RequireSignIn/>
        <section class="narrow">
            <h1>"Declare an incident"</h1>
            <ActionForm action attr:class="declare-form">
                <FormError error=err/>
                <label for="title">"What is broken?"</label>
                <input id="title" name="title" required autofocus maxlength="300"
                    placeholder="Checkout returns 500 for EU customers" value=typed(err, "title")
                    aria-describedby="title-error"/>
                <FieldError error=err field="title"/>
                <fieldset>
                    <legend>"Severity"</legend>
                    {Severity::ALL.iter().map(|s| {
                        let v = s.as_str();
                        view! {
                            <label class="choice">
                                <input type="radio" name="severity" value=v required
                                    checked=move || sev() == v/>
                                <strong>{v}</strong>" "<span class="hint">{s.meaning()}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <FieldError error=err field="severity"/>
                <label class="choice">
                    <input type="checkbox" name="private" value="on" checked=move || !typed(err, "private")().is_empty()/>
                    <strong>"Private"</strong>" "
                    <span class="hint">"Security, legal or HR: only admins, the people on the incident and those you add can see it"</span>
                </label>
                <details open=move || ["summary", "services", "started_at"].into_iter().any(|f| !typed(err, f)().is_empty())>
                    <summary>"More detail (optional)"</summary>
                    <label for="summary">"Summary"</label>
                    <textarea id="summary" name="summary" rows="3">{move || raw_text(typed(err, "summary")())}</textarea>
                    <FieldError error=err field="summary"/>
                    <label for="services">"Affected services (comma-separated)"</label>
                    <input id="services" name="services" value=typed(err, "services")/>
                    <FieldError error=err field="services"/>
                    <label for="started_at">"Started at (your time zone; leave empty for now)"</label>
                    <input id="started_at" name="started_at" type="datetime-local" value=typed(err, "started_at")/>
                    <FieldError error=err field="started_at"/>
                </details>
                <button type="submit" class="button danger big">"Declare incident"</button>
            </ActionForm>
        </section>
    }
}
