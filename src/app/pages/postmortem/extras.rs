//! The parts of sections generated from the incident: key events and contributing factors.

use crate::api::postmortems::{AddContributingFactor, RemoveContributingFactor, ToggleTimelineEvent};
use crate::app::components::{typed, FieldError, FormError};
use crate::domain::postmortem::{ContributingFactor, FactorCategory, TimelineItem};
use crate::domain::time::format_utc;
use leptos::prelude::*;

/// The incident's key events, each included in the timeline section or left out with one button.
#[component]
pub(super) fn KeyEventPicker(
    id: i64,
    items: Vec<TimelineItem>,
    action: ServerAction<ToggleTimelineEvent>,
) -> impl IntoView {
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <div class="key-events" data-testid="key-events">
            <FormError error=err/>
            {if items.is_empty() {
                view! { <p class="hint">"No key events yet. Mark timeline notes as trigger, detection, mitigation or resolution to build this section."</p> }.into_any()
            } else {
                view! {
                    <ul class="key-event-list">
                        {items.into_iter().map(|item| {
                            let state = if item.included { "included" } else { "left out" };
                            view! {
                                <li class=if item.included { "included" } else { "excluded" } data-testid=format!("key-event-{}", item.event_id)>
                                    <span class="badge">{item.kind.as_str()}</span>" "
                                    {format_utc(item.at)}" "{item.text.clone()}
                                    <span class="hint">{format!(" ({state})")}</span>
                                    <ActionForm action attr:class="inline">
                                        <input type="hidden" name="id" value=id/>
                                        <input type="hidden" name="event_id" value=item.event_id/>
                                        <input type="hidden" name="include" value=if item.included { "false" } else { "true" }/>
                                        <button type="submit" class="button">{if item.included { "Leave out" } else { "Include" }}</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
    }
}

/// The structured contributing factors: each with its category and a Remove button, and a form to add one.
#[component]
pub(super) fn FactorList(
    id: i64,
    factors: Vec<ContributingFactor>,
    add: ServerAction<AddContributingFactor>,
    remove: ServerAction<RemoveContributingFactor>,
) -> impl IntoView {
    let add_err = Signal::derive(move || add.value().get().and_then(Result::err));
    let remove_err = Signal::derive(move || remove.value().get().and_then(Result::err));
    let (factor_id, category_id) = ("factor-text", "factor-category");
    view! {
        <div class="factors" data-testid="factors">
            // One section, two parts: this list is what the section is made of (and enough to send
            // it to review); the text above is optional context for the factors.
            <p class="hint">"Each factor is one thing in the system that let this happen, with its category. \
                The list fills this section; use the text above only for context that connects them."</p>
            <FormError error=remove_err/>
            {(!factors.is_empty()).then(|| view! {
                <table class="list">
                    <thead><tr><th>"Factor"</th><th>"Category"</th><th></th></tr></thead>
                    <tbody>
                        {factors.into_iter().map(|f| view! {
                            <tr data-testid=format!("factor-{}", f.id)>
                                <td>{f.factor.clone()}</td>
                                <td>{f.category.label()}</td>
                                <td>
                                    <ActionForm action=remove attr:class="inline">
                                        <input type="hidden" name="id" value=id/>
                                        <input type="hidden" name="factor_id" value=f.id/>
                                        <button type="submit" class="button">"Remove"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <ActionForm action=add attr:class="factor-form">
                <input type="hidden" name="id" value=id/>
                <label for=factor_id>"Contributing factor"</label>
                <input id=factor_id name="factor" maxlength="500" value=typed(add_err, "factor")/>
                <FieldError error=add_err field="factor"/>
                <label for=category_id>"Category"</label>
                <select id=category_id name="category">
                    {FactorCategory::ALL.iter().map(|c| {
                        let v = c.as_str();
                        view! { <option value=v selected=move || typed(add_err, "category")() == v>{c.label()}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=add_err field="category"/>
                <button type="submit" class="button">"Add factor"</button>
            </ActionForm>
        </div>
    }
}
