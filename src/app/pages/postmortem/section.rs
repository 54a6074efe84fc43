//! One section of the write-up in the editor, with its blameless-language hints.

use crate::api::postmortems::SavePostmortemSection;
use crate::app::components::{raw_text, FieldError, FormError};
use crate::app::islands::{DraftKeeper, PreviewButton};
use crate::domain::blameless::BlamelessFlag;
use crate::domain::postmortem::{Section, SectionFlag};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub(super) fn SectionEditor(
    incident_id: i64,
    reference: String,
    section: Section,
    html: String,
    flags: Vec<SectionFlag>,
    save: ServerAction<SavePostmortemSection>,
    /// Generated content shown above the written text.
    extra: Option<AnyView>,
) -> impl IntoView {
    let key = StoredValue::new(section.key.clone());
    // The last save's error, if it was about this section.
    let err = Signal::derive(move || {
        save.value().get().and_then(Result::err).filter(|e| e.value("key").as_deref() == Some(key.get_value().as_str()))
    });
    let conflict = Signal::derive(move || match err.get() {
        Some(AppError::Conflict { current: Some(c), values, .. }) => serde_json::from_value::<Section>(c)
            .ok()
            .map(|theirs| (theirs, values.get("body").cloned().unwrap_or_default())),
        _ => None,
    });
    // After a conflict, saving again starts from their version.
    let version = conflict.get_untracked().map(|(t, _)| t.version).unwrap_or(section.version);
    let initial = {
        let body = section.body.clone();
        move || err.get().and_then(|e| e.value("body")).unwrap_or_else(|| body.clone())
    };
    let k = section.key.clone();
    let (section_id, body_id, version_id) = (format!("section-{k}"), format!("body-{k}"), format!("version-{k}"));
    let drafts = view! {
        <DraftKeeper incident_id section=k.clone() version saved=section.body.clone() field=body_id.clone()
            version_field=version_id.clone() restore=err.get_untracked().is_none()/>
    };
    let history = format!("/incidents/{reference}/postmortem/{k}/history");
    view! {
        <section class="pm-section" id=section_id.clone() data-region="" data-testid=section_id>
            <h2>{section.title.clone()} {section.required.then(|| view! { <span class="hint">" (required)"</span> })}</h2>
            <p class="hint guidance">{section.guidance.clone()}</p>
            {extra}
            <div class="md rendered" data-testid="rendered" inner_html=html></div>
            <FlagList flags=flags.into_iter().map(|f| f.flag).collect() testid="flags"/>
            {move || conflict.get().map(|(theirs, _)| view! {
                <div class="conflict" role="alert" data-testid="conflict">
                    <p><strong>{err.get().map(|e| e.to_string())}</strong></p>
                    <div class="sides">
                        <div>
                            <h3>{format!("Their version (v{})", theirs.version)}</h3>
                            <pre data-testid="theirs">{theirs.body.clone()}</pre>
                        </div>
                        <div>
                            <h3>"Yours"</h3>
                            <p class="hint">"Your text is in the editor below. Merge in what you need from theirs, then save."</p>
                        </div>
                    </div>
                </div>
            })}
            {drafts}
            <ActionForm action=save attr:class="section-form">
                <input type="hidden" name="id" value=incident_id/>
                <input type="hidden" name="key" value=section.key.clone()/>
                <input type="hidden" id=version_id name="version" value=version/>
                <label class="visually-hidden" for=body_id.clone()>{section.title.clone()}</label>
                <textarea id=body_id.clone() name="body" rows="6" prop:value=initial>{let initial = initial.clone(); move || raw_text(initial())}</textarea>
                <FieldError error=err field="body"/>
                {move || err.get().filter(|e| !matches!(e, AppError::Conflict { .. })).map(|e| view! {
                    <FormError error=Signal::derive(move || Some(e.clone()))/>
                })}
                <div class="row">
                    <button type="submit" class="button primary">{format!("Save {}", section.title)}</button>
                    <PreviewButton field=body_id/>
                    <a href=history>"History"</a>
                    {section.updated_by.clone().map(|u| view! {
                        <span class="hint">{format!("v{} by {}", section.version, u.name)}</span>
                    })}
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// Blameless-language hits, each with its system-focused rewording; nothing when there are none.
#[component]
pub fn FlagList(flags: Vec<BlamelessFlag>, testid: &'static str) -> impl IntoView {
    (!flags.is_empty()).then(|| {
        view! {
            <ul class="flags" data-testid=testid>
                {flags.into_iter().map(|f| view! {
                    <li>
                        <strong>{format!("\u{201c}{}\u{201d}", f.matched)}</strong>": "{f.message}
                        <span class="suggestion">" Try: "{f.suggestion}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
