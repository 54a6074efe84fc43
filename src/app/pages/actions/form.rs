//! The fields an action item is created and edited with.

use crate::app::components::{raw_text, typed, FieldError};
use crate::domain::actions::{ActionItem, ActionType, Priority};
use crate::error::AppError;
use leptos::prelude::*;

/// The fields an item is created and edited with; `item` fills them when editing. What was typed
/// before a failed submit wins over both.
#[component]
pub(super) fn ActionFields(
    err: Signal<Option<AppError>>,
    #[prop(optional)] item: Option<ActionItem>,
    /// Makes element ids unique when two forms share a page.
    prefix: &'static str,
) -> impl IntoView {
    let id = move |f: &str| format!("{prefix}-{f}");
    let i = item.clone();
    // Typed, never chosen from a list of everyone; empty keeps the owner (or, new, means "me").
    let owner_hint = match &i {
        Some(it) => format!("Name or email of someone else; leave empty to keep {}.", it.owner_name),
        None => "Name or email; leave empty to own it yourself.".to_string(),
    };
    let kind_now = i.as_ref().map(|i| i.kind.as_str().to_string()).unwrap_or_default();
    let priority_now = i.as_ref().map_or("P2".to_string(), |i| i.priority.as_str().to_string());
    view! {
        <label for=id("title")>"What needs to be done"</label>
        <input id=id("title") name="title" required maxlength="200"
            value=typed_or(err, "title", i.as_ref().map(|i| i.title.clone()).unwrap_or_default())/>
        <FieldError error=err field="title"/>
        <div class="field-row">
            <div>
                <label for=id("owner")>"Owner"</label>
                <input id=id("owner") name="owner" maxlength="200" autocomplete="off"
                    placeholder=i.as_ref().map(|it| it.owner_name.clone()).unwrap_or_else(|| "you".to_string())
                    aria-describedby=id("owner-hint") value=typed_or(err, "owner", String::new())/>
                <p class="hint" id=id("owner-hint")>{owner_hint}</p>
                <FieldError error=err field="owner"/>
            </div>
            <div>
                <label for=id("due")>"Due on (the owner's calendar)"</label>
                <input id=id("due") name="due_on" type="date" required
                    value=typed_or(err, "due_on", i.as_ref().map(|i| i.due_on.to_string()).unwrap_or_default())/>
                <FieldError error=err field="due_on"/>
            </div>
            <div>
                <label for=id("type")>"Type"</label>
                <select id=id("type") name="kind">
                    <option value="">"Choose…"</option>
                    {ActionType::ALL.iter().map(|t| {
                        let v = t.as_str();
                        let chosen = typed_or(err, "type", kind_now.clone());
                        view! { <option value=v selected=move || chosen() == v>{t.label()}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=err field="type"/>
            </div>
            <div>
                <label for=id("priority")>"Priority"</label>
                <select id=id("priority") name="priority">
                    {Priority::ALL.iter().map(|p| {
                        let v = p.as_str();
                        let chosen = typed_or(err, "priority", priority_now.clone());
                        view! { <option value=v selected=move || chosen() == v>{v}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=err field="priority"/>
            </div>
        </div>
        <label for=id("description")>"Description (Markdown)"</label>
        <textarea id=id("description") name="description" rows="3"
            prop:value=typed_or(err, "description", i.as_ref().map(|i| i.description.clone()).unwrap_or_default())>
            {raw_text(typed_or(err, "description", i.as_ref().map(|i| i.description.clone()).unwrap_or_default())())}
        </textarea>
        <FieldError error=err field="description"/>
        <label for=id("tracker")>"Tracker ticket (link, optional)"</label>
        <input id=id("tracker") name="tracker_url" type="url" placeholder="https://tracker.example/PROJ-123"
            value=typed_or(err, "tracker_url", i.as_ref().and_then(|i| i.tracker_url.clone()).unwrap_or_default())/>
        <FieldError error=err field="tracker_url"/>
        <CheckBackFields err item prefix/>
    }
}

/// What was typed before a failed submit, or else what is stored.
fn typed_or(
    err: Signal<Option<AppError>>,
    field: &'static str,
    stored: String,
) -> impl Fn() -> String + Clone + 'static {
    move || if err.get().is_some() { typed(err, field)() } else { stored.clone() }
}

/// "Did it work?": what will be true when it works, and when to ask the owner.
#[component]
fn CheckBackFields(err: Signal<Option<AppError>>, item: Option<ActionItem>, prefix: &'static str) -> impl IntoView {
    let id = move |f: &str| format!("{prefix}-{f}");
    let criterion = item.as_ref().map(|i| i.success_criterion.clone()).unwrap_or_default();
    let check_back = item.as_ref().and_then(|i| i.check_back_on).map(|d| d.to_string()).unwrap_or_default();
    view! {
        <fieldset>
            <legend>"Did it work? (optional)"</legend>
            <label for=id("criterion")>"What will be true when this works"</label>
            <input id=id("criterion") name="success_criterion"
                placeholder="e.g. a failing canary pages on-call within 2 minutes"
                value=typed_or(err, "success_criterion", criterion)/>
            <FieldError error=err field="success_criterion"/>
            <label for=id("check-back")>"Ask the owner on"</label>
            <input id=id("check-back") name="check_back_on" type="date" value=typed_or(err, "check_back_on", check_back)/>
            <FieldError error=err field="check_back_on"/>
        </fieldset>
    }
}
