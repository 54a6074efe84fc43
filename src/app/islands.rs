//! The only components that reach the browser's WASM (Leptos islands): their props travel in the
//! page as JSON, and everything else on a page is server-rendered HTML.

use crate::app::browser;
use crate::app::pages::FlagList;
use leptos::prelude::*;

/// Forms in place, live updates and ticking durations, for every page (see `browser`).
#[island]
pub fn Enhance() -> impl IntoView {
    Effect::new(|_| browser::enhance_page());
}

/// Keeps a section's unsaved text in the browser until it is saved, and brings it back after a
/// reload. `restore` is off when the page already shows text the server kept (an error or a
/// conflict), which must win.
#[island]
pub fn DraftKeeper(
    incident_id: i64,
    section: String,
    version: i32,
    saved: String,
    field: String,
    version_field: String,
    restore: bool,
) -> impl IntoView {
    let restored = RwSignal::new(false);
    Effect::new(move |_| {
        let mut base = version;
        match browser::load_draft(incident_id, &section) {
            Some(d) if d.body.trim_end() == saved.trim_end() => browser::clear_draft(incident_id, &section),
            Some(d) if restore && d.version <= version => {
                browser::set_field(&field, &d.body);
                browser::set_field(&version_field, &d.version.to_string());
                base = d.version;
                restored.set(true);
            }
            _ => {}
        }
        let section = section.clone();
        browser::follow_typing(&field, move |body| {
            browser::store_draft(incident_id, &section, &browser::Draft { version: base, body })
        });
    });
    move || restored.get().then(|| view! { <p class="hint" role="status">"Restored your unsaved draft."</p> })
}

/// Renders the text being written, with its blameless-language check, before anything is saved.
#[island]
pub fn PreviewButton(field: String) -> impl IntoView {
    let preview = RwSignal::new(None::<crate::api::postmortems::Preview>);
    let show = move |_| {
        let body = browser::field_text(&field);
        leptos::task::spawn_local(async move {
            if let Ok(p) = crate::api::postmortems::preview_markdown(body).await {
                preview.set(Some(p));
            }
        });
    };
    view! {
        <button type="button" class="button js-only" on:click=show>"Preview"</button>
        {move || preview.get().map(|p| view! {
            <div class="md preview" data-testid="preview" inner_html=p.html></div>
            <FlagList flags=p.flags testid="preview-flags"/>
        })}
    }
}
