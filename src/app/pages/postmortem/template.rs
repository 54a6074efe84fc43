use super::*;
use crate::api::postmortems::{get_template, SaveTemplate};
use crate::app::components::{raw_text, typed, Failure, FieldError};
use crate::domain::postmortem::template_lines;
use leptos::prelude::*;
use leptos_meta::Title;

/// Admins edit the postmortem template; postmortems already started keep their sections.
#[component]
pub fn TemplatePage() -> impl IntoView {
    let save = ServerAction::<SaveTemplate>::new();
    let template = Resource::new(move || save.version().get(), |_| get_template());
    let err = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <crate::app::components::SettingsNav/>
        <SettingsForm/>
        <SignInSettings/>
        <h2>"Postmortem template"</h2>
        <p class="hint">
            "One section per line: " <code>"key | title | required or optional | guidance"</code>
            ". Order here is the order in the write-up. Postmortems already started keep the sections they began with."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match template.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(t) => {
                        let current = template_lines(&t);
                        view! {
                            <ActionForm action=save>
                                <label for="sections">"Sections"</label>
                                <textarea id="sections" name="sections" rows="16" class="mono">
                                    {move || {
                                        let typed = typed(err, "sections")();
                                        raw_text(if typed.is_empty() { current.clone() } else { typed })
                                    }}
                                </textarea>
                                <FieldError error=err field="sections"/>
                                <button type="submit" class="button primary">"Save template"</button>
                                {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <span class="saved" role="status">"Saved"</span> })}
                            </ActionForm>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
