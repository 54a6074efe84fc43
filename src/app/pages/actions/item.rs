//! One action item's page: what, who, when, status, the "did it work?" check and history.

use super::form::ActionFields;
use super::*;
use crate::api::actions::{get_action_page, ActionPage, AnswerCheckBack, EditAction, FollowUpAction, MoveAction};
use crate::app::components::{raw_text, typed, Failure, FieldError, FormError, SeverityBadge, When};
use crate::domain::actions::{readable_change, ActionItem, ActionStatus, ChangeRow, Outcome};
use crate::domain::{incident_ref, incident_url};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One item: what, who, when, its status and check-back, and every change.
#[component]
pub fn ActionItemPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let edit = ServerAction::<EditAction>::new();
    let moved = ServerAction::<MoveAction>::new();
    let answer = ServerAction::<AnswerCheckBack>::new();
    let follow = ServerAction::<FollowUpAction>::new();
    let page = Resource::new(
        move || (id(), edit.version().get(), moved.version().get(), answer.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_action_page(id).await,
                None => Err(AppError::NotFound("There is no such action item".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(p) => view! { <ActionDetail page=p edit moved answer follow/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn move_label(from: ActionStatus, to: ActionStatus) -> &'static str {
    match (from, to) {
        (_, ActionStatus::InProgress) => "Start",
        (_, ActionStatus::Done) => "Mark done",
        (ActionStatus::InProgress, ActionStatus::Open) => "Back to open",
        (_, ActionStatus::Open) => "Reopen",
        (_, ActionStatus::WontDo) => "Won't do",
    }
}

#[component]
fn ActionDetail(
    page: ActionPage,
    edit: ServerAction<EditAction>,
    moved: ServerAction<MoveAction>,
    answer: ServerAction<AnswerCheckBack>,
    follow: ServerAction<FollowUpAction>,
) -> impl IntoView {
    let i = page.item.clone();
    let writer = page.me.can_write();
    let answer_err = Signal::derive(move || answer.value().get().and_then(Result::err));
    let for_check = i.clone();
    let for_edit = i.clone();
    let done = i.status == ActionStatus::Done;
    view! {
        <Title text=format!("{} · action item", i.title)/>
        <article class="action-item" data-testid="action-item" data-version=i.version>
            <ActionFacts page=page.clone()/>
            {writer.then(|| view! { <StatusControls item=i.clone() edit moved/> })}
            {(done && writer).then(|| view! { <CheckBack item=for_check answer err=answer_err/> })}
            {(i.outcome == Some(Outcome::DidNotWork)).then(|| view! {
                <FollowUp id=i.id follow_ups=page.follow_ups.clone() writer follow/>
            })}
            {writer.then(|| view! { <EditDetails item=for_edit edit/> })}
            <ActionHistory history=page.history/>
        </article>
    }
    .into_any()
}

/// What the item is: its incident, title, tags and facts, and its description.
#[component]
fn ActionFacts(page: ActionPage) -> impl IntoView {
    let i = page.item;
    view! {
        <p class="ref">
            <a href=incident_url(i.incident_id)>{incident_ref(i.incident_id)}</a>" "
            <SeverityBadge severity=i.incident_severity/>" "{i.incident_title.clone()}
        </p>
        <h1 data-testid="action-title">{i.title.clone()}</h1>
        <p class="facts">
            <StatusTag status=i.status/>
            <span class="badge">{i.priority.as_str()}</span>
            <span>{i.kind.label()}</span>
            {i.overdue.then(|| view! { <span class="badge overdue" data-testid="overdue">"Overdue"</span> })}
            {i.outcome.map(|o| view! { <OutcomeTag outcome=o/> })}
        </p>
        <dl class="meta">
            <dt>"Owner"</dt><dd>{i.owner_name.clone()}</dd>
            <dt>"Due"</dt><dd>{format!("{} (in {}'s calendar)", i.due_on, i.owner_name)}</dd>
            {i.reason.clone().map(|r| view! { <dt>"Why not"</dt><dd data-testid="reason">{r}</dd> })}
            {i.tracker_url.clone().map(|u| view! { <dt>"Tracker"</dt><dd><a href=u.clone() rel="noopener noreferrer">{u.clone()}</a></dd> })}
            {(!i.success_criterion.is_empty()).then(|| view! { <dt>"Works when"</dt><dd>{i.success_criterion.clone()}</dd> })}
            {i.check_back_on.map(|d| view! { <dt>"Check back on"</dt><dd>{d.to_string()}</dd> })}
            {i.follows.map(|f| view! { <dt>"Follows up"</dt><dd><a href=action_url(f)>{format!("Action item #{f}")}</a></dd> })}
            <dt>"Created"</dt><dd>{i.created_by.name.clone()}" " <When stamp=page.created.clone()/></dd>
        </dl>
        {(!page.description_html.is_empty()).then(|| view! {
            // Sanitised on the server (pulldown-cmark + ammonia).
            <div class="md description" inner_html=page.description_html.clone()></div>
        })}
    }
}

/// The moves the item's status allows, and dropping it with a reason on record.
#[component]
fn StatusControls(item: ActionItem, edit: ServerAction<EditAction>, moved: ServerAction<MoveAction>) -> impl IntoView {
    let edit_err = Signal::derive(move || edit.value().get().and_then(Result::err));
    let move_err = Signal::derive(move || moved.value().get().and_then(Result::err));
    let conflict = move || {
        [edit_err.get(), move_err.get()]
            .into_iter()
            .flatten()
            .find(|e| matches!(e, AppError::Conflict { .. }))
            .map(|_| view! { <p><a href="">"Reload to see the latest"</a></p> })
    };
    let (status, id, version) = (item.status, item.id, item.version);
    view! {
        <section class="controls" aria-label="Status">
            <FormError error=move_err/>
            <FieldError error=move_err field="status"/>
            {conflict}
            <div class="status-buttons" role="group" aria-label="Move the item">
                {status.next().iter().filter(|s| **s != ActionStatus::WontDo).map(|s| view! {
                    <ActionForm action=moved attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <input type="hidden" name="status" value=s.as_str()/>
                        <button type="submit" class="button">{move_label(status, *s)}</button>
                    </ActionForm>
                }).collect_view()}
            </div>
            {status.can_move_to(ActionStatus::WontDo).then(|| view! {
                <details class="wont-do" open=move || move_err.get().and_then(|e| e.field("reason")).is_some()>
                    <summary>"We won't do this…"</summary>
                    <ActionForm action=moved>
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <input type="hidden" name="status" value="wont_do"/>
                        <label for="wont-do-reason">"Why not? (required: the decision stays on record)"</label>
                        <textarea id="wont-do-reason" name="reason" rows="2"
                            prop:value=typed(move_err, "reason")>{raw_text(typed(move_err, "reason")())}</textarea>
                        <FieldError error=move_err field="reason"/>
                        <button type="submit" class="button">"Drop it"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

/// It did not work: the follow-ups it led to, or a button to create one.
#[component]
fn FollowUp(id: i64, follow_ups: Vec<i64>, writer: bool, follow: ServerAction<FollowUpAction>) -> impl IntoView {
    let follow_err = Signal::derive(move || follow.value().get().and_then(Result::err));
    view! {
        <section class="follow-up" aria-label="Follow-up">
            {if follow_ups.is_empty() {
                writer.then(|| view! {
                    <p>"It did not work: the problem is still open."</p>
                    <ActionForm action=follow attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="button primary" data-testid="follow-up">"Create a follow-up"</button>
                    </ActionForm>
                    <FormError error=follow_err/>
                    <FieldError error=follow_err field="outcome"/>
                }).into_any()
            } else {
                view! {
                    <p>"Followed up by "
                        {follow_ups.iter().map(|f| view! { <a href=action_url(*f)>{format!("#{f}")}</a>" " }).collect_view()}
                    </p>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn EditDetails(item: ActionItem, edit: ServerAction<EditAction>) -> impl IntoView {
    let edit_err = Signal::derive(move || edit.value().get().and_then(Result::err));
    let (id, version) = (item.id, item.version);
    view! {
        <details class="edit-action" open=move || edit_err.get().is_some()>
            <summary>"Edit details"</summary>
            <ActionForm action=edit attr:class="action-form">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <FormError error=edit_err/>
                <ActionFields err=edit_err item prefix="edit"/>
                <button type="submit" class="button primary">"Save changes"</button>
            </ActionForm>
        </details>
    }
}

/// Every change to the item, newest first.
#[component]
fn ActionHistory(history: Vec<ChangeRow>) -> impl IntoView {
    view! {
        <section class="history" aria-label="History">
            <h2>"History"</h2>
            {if history.is_empty() {
                view! { <p class="empty">"No changes since it was created."</p> }.into_any()
            } else {
                view! {
                    <ol class="changes" data-testid="action-history">
                        {history.into_iter().rev().map(|c| {
                            let field = c.change.field.clone();
                            let word = move |v: String| readable_change(&field, &v).1;
                            view! {
                                <li>
                                    <When stamp=c.at/>
                                    <span>
                                        <strong>{c.change.author.name.clone()}</strong>
                                        {format!(" changed {}", readable_change(&c.change.field, "").0)}
                                        {c.change.from.clone().map(|f| view! { " from " <q>{word.clone()(f)}</q> })}
                                        {match c.change.to.clone() {
                                            Some(t) => view! { " to " <q>{word(t)}</q> }.into_any(),
                                            None => " (cleared)".into_any(),
                                        }}
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// "Did it work?": shown once the item is done; answering again replaces the answer.
#[component]
fn CheckBack(item: ActionItem, answer: ServerAction<AnswerCheckBack>, err: Signal<Option<AppError>>) -> impl IntoView {
    let asked = match (item.outcome, item.check_back_due, item.check_back_on) {
        (Some(_), ..) => String::new(),
        (None, true, _) => "The check-back date has come: did it work?".to_string(),
        (None, false, Some(d)) => format!("The owner will be asked on {d}; you can answer now."),
        (None, false, None) => "Answer whenever you can tell.".to_string(),
    };
    let current = item.outcome.map(|o| o.as_str().to_string()).unwrap_or_default();
    let chosen = move || if err.get().is_some() { typed(err, "outcome")() } else { current.clone() };
    let note = item.outcome_note.clone();
    let note_now = move || if err.get().is_some() { typed(err, "note")() } else { note.clone() };
    view! {
        <section class="check-back" class:due=item.check_back_due aria-label="Did it work?" data-testid="check-back">
            <h2>"Did it work?"</h2>
            {(!asked.is_empty()).then(|| view! { <p>{asked}</p> })}
            {(!item.success_criterion.is_empty()).then(|| view! {
                <p>"It works when: " <em>{item.success_criterion.clone()}</em></p>
            })}
            {item.outcome.map(|o| view! {
                <p class="answer">"Answered: " <OutcomeTag outcome=o/>
                    {(!item.outcome_note.is_empty()).then(|| view! { " " <q>{item.outcome_note.clone()}</q> })}
                </p>
            })}
            <details class="answer-form" open=item.outcome.is_none() || err.get_untracked().is_some()>
            <summary>{if item.outcome.is_some() { "Change the answer" } else { "Answer" }}</summary>
            <ActionForm action=answer>
                <input type="hidden" name="id" value=item.id/>
                <FormError error=err/>
                <fieldset>
                    <legend>"Outcome"</legend>
                    {Outcome::ALL.iter().map(|o| {
                        let v = o.as_str();
                        let chosen = chosen.clone();
                        view! {
                            <label class="choice">
                                <input type="radio" name="outcome" value=v checked=move || chosen() == v/>
                                {o.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <FieldError error=err field="outcome"/>
                <label for="check-note">"What did you see?"</label>
                <textarea id="check-note" name="note" rows="2" prop:value=note_now.clone()>{raw_text(note_now())}</textarea>
                <FieldError error=err field="note"/>
                <button type="submit" class="button primary">"Save the answer"</button>
            </ActionForm>
            </details>
        </section>
    }
}
