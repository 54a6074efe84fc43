//! Stakeholder updates on the incident page: the latest at the top, and the form to post one.

use crate::api::incidents::PostStakeholderUpdate;
use crate::app::components::{typed, FieldError, FormError, When};
use crate::domain::LatestUpdate;
use leptos::prelude::*;

/// The newest update, and whether the promised next one is late.
#[component]
pub fn LatestUpdateBox(latest: Option<LatestUpdate>) -> impl IntoView {
    let Some(l) = latest else { return ().into_any() };
    let impact = (!l.update.impact.is_empty()).then(|| l.update.impact.clone());
    view! {
        <section class="latest-update" class:overdue=l.overdue aria-label="Latest update" data-testid="latest-update">
            <h2>"Latest update"</h2>
            <p class="update-message">{l.update.message.clone()}</p>
            {impact.map(|i| view! { <p><strong>"Impact: "</strong>{i}</p> })}
            <p class="hint">{format!("{}, ", l.update.author.name)}<When stamp=l.posted/></p>
            {l.next.map(|next| view! {
                <p class="hint">
                    {if l.overdue { view! { <strong class="badge overdue">"Update overdue"</strong> " " }.into_any() } else { ().into_any() }}
                    "Next update by " <When stamp=next/>
                </p>
            })}
        </section>
    }
    .into_any()
}

/// Post an update: what is happening, the impact, when the next one comes. Folded away until needed.
#[component]
pub fn UpdateForm(id: i64, post: ServerAction<PostStakeholderUpdate>) -> impl IntoView {
    let err = Signal::derive(move || post.value().get().and_then(Result::err));
    let chosen = move |v: &'static str| move || typed(err, "next_update_at")() == v;
    view! {
        <details class="update-form" open=move || err.get().is_some()>
            <summary>"Post an update for stakeholders"</summary>
            <ActionForm action=post attr:aria-label="Post a stakeholder update">
                <input type="hidden" name="id" value=id/>
                <FormError error=err/>
                <label for="update-message">"What is happening"</label>
                <textarea id="update-message" name="message" required rows="3">{typed(err, "message")}</textarea>
                <FieldError error=err field="message"/>
                <label for="update-impact">"Impact on customers (optional)"</label>
                <textarea id="update-impact" name="impact" rows="2">{typed(err, "impact")}</textarea>
                <FieldError error=err field="impact"/>
                <label for="update-next">"Next update"</label>
                <select id="update-next" name="next_update_at">
                    <option value="">"No promise"</option>
                    <option value="15" selected=chosen("15")>"in 15 minutes"</option>
                    <option value="30" selected=chosen("30")>"in 30 minutes"</option>
                    <option value="60" selected=chosen("60")>"in 1 hour"</option>
                    <option value="120" selected=chosen("120")>"in 2 hours"</option>
                    <option value="240" selected=chosen("240")>"in 4 hours"</option>
                </select>
                <FieldError error=err field="next_update_at"/>
                <button type="submit" class="button primary">"Post update"</button>
            </ActionForm>
        </details>
    }
}
