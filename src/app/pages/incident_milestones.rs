//! The incident's moments, from impact to close: each time with where it came from, and a form to
//! correct one with a reason (it works without JavaScript, like every form on the page).

use crate::api::incidents::CorrectMilestone;
use crate::app::components::{typed, FieldError, FormError, When};
use crate::domain::milestones::{MilestoneRow, MilestoneSource, Moment};
use crate::domain::IncidentPage as PageData;
use leptos::prelude::*;

#[component]
pub fn MilestonesPanel(page: PageData, action: ServerAction<CorrectMilestone>) -> impl IntoView {
    let (id, write) = (page.incident.id, page.me.can_write());
    view! {
        <section class="milestones" aria-label="Milestones" data-testid="milestones">
            <h2>"Milestones"</h2>
            <MilestonesTable rows=page.milestones/>
            {write.then(|| view! { <CorrectForm id action/> })}
        </section>
    }
}

/// The moments in order; the postmortem shows the same table.
#[component]
pub fn MilestonesTable(rows: Vec<MilestoneRow>) -> impl IntoView {
    view! {
        <table class="list milestones-table">
            <thead><tr><th>"Moment"</th><th>"When"</th><th>"From"</th></tr></thead>
            <tbody>{rows.into_iter().map(|row| view! { <Row row/> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn Row(row: MilestoneRow) -> impl IntoView {
    let from = match &row.milestone {
        None => format!("Not yet: set from {}", row.moment.evidence()),
        Some(m) if m.source == MilestoneSource::Auto => format!("Automatic, from {}", row.moment.evidence()),
        Some(m) => format!(
            "Set by {}: {}",
            m.set_by.as_ref().map(|u| u.name.as_str()).unwrap_or("someone"),
            m.reason.as_deref().unwrap_or_default()
        ),
    };
    let manual = row.milestone.as_ref().is_some_and(|m| m.source == MilestoneSource::Manual);
    view! {
        <tr data-moment=row.moment.as_str() class:manual=manual>
            <td>{row.moment.label()}</td>
            <td>{row.stamp.map(|s| view! { <When stamp=s/> }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
            <td class="hint">{from}</td>
        </tr>
    }
}

#[component]
fn CorrectForm(id: i64, action: ServerAction<CorrectMilestone>) -> impl IntoView {
    let err = Signal::derive(move || action.value().get().and_then(Result::err));
    let chosen = typed(err, "moment");
    view! {
        <details class="correct-milestone" open=move || err.get().is_some()>
            <summary>"Correct a moment"</summary>
            <ActionForm action attr:class="grid-form" attr:aria-label="Correct a moment">
                <FormError error=err/>
                <input type="hidden" name="id" value=id/>
                <label for="milestone-moment">"Moment"</label>
                <select id="milestone-moment" name="moment">
                    {Moment::ALL.iter().map(|m| view! {
                        <option value=m.as_str() selected=move || chosen() == m.as_str()>{m.label()}</option>
                    }).collect_view()}
                </select>
                <FieldError error=err field="moment"/>
                <label for="milestone-at">"When (your time zone)"</label>
                <input id="milestone-at" name="at" type="datetime-local" step="1" required value=typed(err, "at")/>
                <FieldError error=err field="at"/>
                <label for="milestone-reason">"Why"</label>
                <input id="milestone-reason" name="reason" required maxlength="2000" value=typed(err, "reason")
                    placeholder="The first customer report came in at 06:02"/>
                <FieldError error=err field="reason"/>
                <button type="submit" class="button">"Correct"</button>
            </ActionForm>
        </details>
    }
}
