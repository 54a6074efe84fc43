//! The review: reviewers, decisions, comments and publishing.

use crate::api::postmortems::{ApprovePostmortem, PublishPostmortem, RequestPostmortemChanges, SubmitPostmortem};
use crate::app::components::{raw_text, typed, FieldError, FormError};
use crate::domain::postmortem::{Postmortem, PostmortemStatus};
use crate::domain::time::format_utc;
use crate::error::AppError;
use leptos::prelude::*;

/// The review steps' actions, shared by the panel and the page's reload trigger.
#[derive(Clone, Copy)]
pub(super) struct ReviewActions {
    submit: ServerAction<SubmitPostmortem>,
    approve: ServerAction<ApprovePostmortem>,
    changes: ServerAction<RequestPostmortemChanges>,
    publish: ServerAction<PublishPostmortem>,
}

impl ReviewActions {
    pub(super) fn new() -> Self {
        ReviewActions {
            submit: ServerAction::new(),
            approve: ServerAction::new(),
            changes: ServerAction::new(),
            publish: ServerAction::new(),
        }
    }

    pub(super) fn version(&self) -> usize {
        self.submit.version().get()
            + self.approve.version().get()
            + self.changes.version().get()
            + self.publish.version().get()
    }

    fn error(&self) -> Option<AppError> {
        [
            self.submit.value().get().and_then(Result::err),
            self.approve.value().get().and_then(Result::err),
            self.changes.value().get().and_then(Result::err),
            self.publish.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

/// An admin may publish without an approval from someone who did not write it, saying why; the
/// reason is shown on the publication.
#[component]
pub(super) fn PublishAnyway(id: i64, review: ReviewActions, err: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <details class="publish-anyway" open=move || !typed(err, "override_reason")().is_empty()>
            <summary>"Publish without an independent approval (admins)"</summary>
            <ActionForm action=review.publish>
                <input type="hidden" name="id" value=id/>
                <label for="override-reason">"Why can no one who did not write it approve it?"</label>
                <textarea id="override-reason" name="override_reason" rows="2" maxlength="2000" required>
                    {move || raw_text(typed(err, "override_reason")())}
                </textarea>
                <FieldError error=err field="override_reason"/>
                <button type="submit" class="button">"Publish with this reason"</button>
            </ActionForm>
        </details>
    }
}

/// Draft → in review → published: who reviews, their decisions, comments, and the next step.
#[component]
pub(super) fn ReviewPanel(pm: Postmortem, admin: bool, review: ReviewActions) -> impl IntoView {
    let err = Signal::derive(move || review.error());
    let id = pm.incident_id;
    let reviewers = pm.reviewers.iter().map(|r| r.user.name.clone()).collect::<Vec<_>>().join(", ");
    let status = pm.status;
    let section_choices: Vec<(String, String)> = pm.sections.iter().map(|s| (s.key.clone(), s.title.clone())).collect();
    view! {
        <section class="review" aria-label="Review" data-testid="review">
            <h2>"Review"</h2>
            <FormError error=err/>
            {move || err.get().and_then(|e| match e {
                AppError::Invalid { fields, .. } => Some(fields.into_values().collect::<Vec<_>>()),
                _ => None,
            }).map(|msgs| view! { <ul class="field-error">{msgs.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul> })}
            {(!pm.reviewers.is_empty()).then(|| view! {
                <ul class="reviewers">
                    {pm.reviewers.iter().map(|r| view! {
                        <li>{r.user.name.clone()}": "<strong>{r.decision.replace('_', " ")}</strong></li>
                    }).collect_view()}
                </ul>
            })}
            {pm.published_url.clone().map(|u| {
                let text = u.clone();
                view! { <p>"Published: "<a href=u data-testid="published-link">{text}</a></p> }
            })}
            {match status {
                PostmortemStatus::Draft | PostmortemStatus::Published => view! {
                    <SubmitForReview id status reviewers review err/>
                }.into_any(),
                PostmortemStatus::InReview => view! {
                    <ReviewDecision id admin sections=section_choices review err/>
                }.into_any(),
            }}
            {(!pm.comments.is_empty()).then(|| view! { <ReviewComments pm=pm.clone()/> })}
        </section>
    }
    .into_any()
}

/// Choosing reviewers and sending the write-up (or a revision of it) to them.
#[component]
fn SubmitForReview(
    id: i64,
    status: PostmortemStatus,
    /// The current reviewers' names, to send a revision to the same people.
    reviewers: String,
    review: ReviewActions,
    err: Signal<Option<AppError>>,
) -> impl IntoView {
    // Typed, never a list of everyone, so the page does not grow with the organisation.
    let value = move || if err.get().is_some() { typed(err, "reviewers")() } else { reviewers.clone() };
    view! {
        <ActionForm action=review.submit attr:class="submit-form">
            <input type="hidden" name="id" value=id/>
            <label for="reviewers">"Reviewers (names or emails, separated by commas; none: the admins review)"</label>
            <input id="reviewers" name="reviewers" maxlength="2000" autocomplete="off" value=value/>
            <FieldError error=err field="reviewers"/>
            <button type="submit" class="button">
                {if status == PostmortemStatus::Draft { "Submit for review" } else { "Send revision to review" }}
            </button>
        </ActionForm>
    }
}

/// A reviewer's choices: approve, publish, or ask for changes to a section or the whole.
#[component]
fn ReviewDecision(
    id: i64,
    admin: bool,
    sections: Vec<(String, String)>,
    review: ReviewActions,
    err: Signal<Option<AppError>>,
) -> impl IntoView {
    let section_choices = sections.into_iter().map(|(k, t)| view! { <option value=k>{t}</option> }).collect::<Vec<_>>();
    view! {
        <div class="row">
            <ActionForm action=review.approve attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button">"Approve"</button>
            </ActionForm>
            <ActionForm action=review.publish attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button primary">"Publish"</button>
            </ActionForm>
        </div>
        {admin.then(|| view! { <PublishAnyway id review err/> })}
        <ActionForm action=review.changes>
            <input type="hidden" name="id" value=id/>
            <label for="review-section">"Section"</label>
            <select id="review-section" name="section">
                <option value="">"The whole write-up"</option>
                {section_choices.clone()}
            </select>
            <label for="review-comment">"Ask for changes"</label>
            <textarea id="review-comment" name="comment" rows="3">{move || raw_text(typed(err, "comment")())}</textarea>
            <button type="submit" class="button">"Request changes"</button>
        </ActionForm>
    }
}

/// The review's comments, the latest first when there are many.
#[component]
fn ReviewComments(pm: Postmortem) -> impl IntoView {
    view! {
        <h3>"Comments"</h3>
        {(pm.comments_total > pm.comments.len() as i64).then(|| view! {
            <p class="hint">{format!("The latest {} of {} comments", pm.comments.len(), pm.comments_total)}</p>
        })}
        <ul class="comments" data-testid="comments">
            {pm.comments.iter().map(|c| view! {
                <li>
                    <strong>{c.author.name.clone()}</strong>
                    {c.section.clone().map(|s| format!(" on {s}"))}
                    " (" {format_utc(c.created_at)} "): " {c.body.clone()}
                </li>
            }).collect_view()}
        </ul>
    }
}
