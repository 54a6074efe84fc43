//! Action items: the incident's and postmortem's list with its create form, one item's page, the
//! viewer's own items and the filtered overview.

use crate::api::actions::{
    action_form_options, get_action_page, incident_actions, list_actions, my_actions, ActionPage, AnswerCheckBack,
    CreateAction, EditAction, FollowUpAction, MoveAction,
};
use crate::app::components::{raw_text, typed, Failure, FieldError, FormError, PageLinks, SeverityBadge, When};
use crate::domain::actions::{readable_change, ActionCounts, ActionItem, ActionStatus, ActionType, Outcome, Priority};
use crate::domain::{incident_ref, incident_url, Severity};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn action_url(id: i64) -> String {
    format!("/actions/{id}")
}

/// `12 items · 3 open · … · 71% done`.
#[component]
fn CountsLine(counts: ActionCounts) -> impl IntoView {
    let rate = counts.completion_rate.map(|r| format!("{:.0}% done", r * 100.0));
    view! {
        <p class="counts" data-testid="action-counts">
            {format!(
                "{} {} · {} open · {} in progress · {} done · {} won't do",
                counts.total,
                if counts.total == 1 { "item" } else { "items" },
                counts.open,
                counts.in_progress,
                counts.done,
                counts.wont_do
            )}
            {(counts.overdue > 0).then(|| view! { " · " <span class="badge overdue">{format!("{} overdue", counts.overdue)}</span> })}
            {rate.map(|r| view! { " · " <strong>{r}</strong> })}
        </p>
    }
}

#[component]
fn StatusTag(status: ActionStatus) -> impl IntoView {
    view! { <span class=format!("badge action-status {}", status.as_str()) data-testid="action-status">{status.label()}</span> }
}

#[component]
fn OutcomeTag(outcome: Outcome) -> impl IntoView {
    view! { <span class=format!("badge outcome {}", outcome.as_str()) data-testid="action-outcome">{outcome.label()}</span> }
}

/// The items as a table; `incidents` adds a column naming each item's incident.
#[component]
fn ActionTable(items: Vec<ActionItem>, #[prop(optional)] incidents: bool) -> impl IntoView {
    view! {
        <table class="list actions" data-testid="action-list">
            <thead>
                <tr>
                    <th>"Action"</th>
                    {incidents.then(|| view! { <th>"Incident"</th> })}
                    <th>"Owner"</th><th>"Due"</th><th>"Type"</th><th>"Priority"</th><th>"Status"</th><th>"Did it work?"</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|i| view! {
                    <tr class:overdue=i.overdue data-testid=format!("action-{}", i.id)>
                        <td><a href=action_url(i.id)>{i.title.clone()}</a></td>
                        {incidents.then(|| view! {
                            <td>
                                <a href=incident_url(i.incident_id)>{incident_ref(i.incident_id)}</a>" "
                                <SeverityBadge severity=i.incident_severity/>
                                <span class="hint">" "{i.incident_title.clone()}</span>
                            </td>
                        })}
                        <td>{i.owner_name.clone()}</td>
                        <td>
                            {i.due_on.to_string()}
                            {i.overdue.then(|| view! { " " <span class="badge overdue">"Overdue"</span> })}
                        </td>
                        <td>{i.kind.label()}</td>
                        <td>{i.priority.as_str()}</td>
                        <td><StatusTag status=i.status/></td>
                        <td>
                            {match (i.outcome, i.check_back_due) {
                                (Some(o), _) => view! { <OutcomeTag outcome=o/> }.into_any(),
                                (None, true) => view! { <a href=action_url(i.id) class="badge ask">"Answer now"</a> }.into_any(),
                                (None, false) => i.check_back_on.map(|d| format!("ask on {d}")).unwrap_or_default().into_any(),
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The fields an item is created and edited with; `item` fills them when editing. What was typed
/// before a failed submit wins over both.
#[component]
fn ActionFields(
    err: Signal<Option<AppError>>,
    #[prop(optional)] item: Option<ActionItem>,
    /// Makes element ids unique when two forms share a page.
    prefix: &'static str,
) -> impl IntoView {
    let id = move |f: &str| format!("{prefix}-{f}");
    let typed_or = move |field: &'static str, stored: String| {
        move || if err.get().is_some() { typed(err, field)() } else { stored.clone() }
    };
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
            value=typed_or("title", i.as_ref().map(|i| i.title.clone()).unwrap_or_default())/>
        <FieldError error=err field="title"/>
        <div class="field-row">
            <div>
                <label for=id("owner")>"Owner"</label>
                <input id=id("owner") name="owner" maxlength="200" autocomplete="off"
                    placeholder=i.as_ref().map(|it| it.owner_name.clone()).unwrap_or_else(|| "you".to_string())
                    aria-describedby=id("owner-hint") value=typed_or("owner", String::new())/>
                <p class="hint" id=id("owner-hint")>{owner_hint}</p>
                <FieldError error=err field="owner"/>
            </div>
            <div>
                <label for=id("due")>"Due on (the owner's calendar)"</label>
                <input id=id("due") name="due_on" type="date" required
                    value=typed_or("due_on", i.as_ref().map(|i| i.due_on.to_string()).unwrap_or_default())/>
                <FieldError error=err field="due_on"/>
            </div>
            <div>
                <label for=id("type")>"Type"</label>
                <select id=id("type") name="kind">
                    <option value="">"Choose…"</option>
                    {ActionType::ALL.iter().map(|t| {
                        let v = t.as_str();
                        let chosen = typed_or("type", kind_now.clone());
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
                        let chosen = typed_or("priority", priority_now.clone());
                        view! { <option value=v selected=move || chosen() == v>{v}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=err field="priority"/>
            </div>
        </div>
        <label for=id("description")>"Description (Markdown)"</label>
        <textarea id=id("description") name="description" rows="3"
            prop:value=typed_or("description", i.as_ref().map(|i| i.description.clone()).unwrap_or_default())>
            {raw_text(typed_or("description", i.as_ref().map(|i| i.description.clone()).unwrap_or_default())())}
        </textarea>
        <FieldError error=err field="description"/>
        <label for=id("tracker")>"Tracker ticket (link, optional)"</label>
        <input id=id("tracker") name="tracker_url" type="url" placeholder="https://tracker.example/PROJ-123"
            value=typed_or("tracker_url", i.as_ref().and_then(|i| i.tracker_url.clone()).unwrap_or_default())/>
        <FieldError error=err field="tracker_url"/>
        <fieldset>
            <legend>"Did it work? (optional)"</legend>
            <label for=id("criterion")>"What will be true when this works"</label>
            <input id=id("criterion") name="success_criterion"
                placeholder="e.g. a failing canary pages on-call within 2 minutes"
                value=typed_or("success_criterion", i.as_ref().map(|i| i.success_criterion.clone()).unwrap_or_default())/>
            <FieldError error=err field="success_criterion"/>
            <label for=id("check-back")>"Ask the owner on"</label>
            <input id=id("check-back") name="check_back_on" type="date"
                value=typed_or("check_back_on", i.as_ref().and_then(|i| i.check_back_on).map(|d| d.to_string()).unwrap_or_default())/>
            <FieldError error=err field="check_back_on"/>
        </fieldset>
    }
}

/// An incident's action items with their figures and a form to add one. Used on the incident page
/// and in the postmortem's action items section. List and form are regions of their own, so a live
/// update of the list never wipes what is being typed into the form.
#[component]
pub fn IncidentActions(incident_id: i64) -> impl IntoView {
    let create = ServerAction::<CreateAction>::new();
    let list = Resource::new(|| (), move |_| incident_actions(incident_id));
    let options = Resource::new(|| (), |_| action_form_options());
    let err = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <div class="incident-actions" data-testid="incident-actions">
            <Suspense fallback=|| view! { <p>"Loading action items…"</p> }>
                {move || Suspend::new(async move {
                    let list = match list.await {
                        Err(e) => view! { <Failure error=e/> }.into_any(),
                        Ok(l) if l.items.is_empty() => view! { <p class="empty">"No action items yet."</p> }.into_any(),
                        Ok(l) => view! { <CountsLine counts=l.counts/> <ActionTable items=l.items/> }.into_any(),
                    };
                    view! { <div id=format!("action-list-{incident_id}") data-region="">{list}</div> }
                })}
            </Suspense>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    options.await.ok().filter(|o| o.me.can_write()).map(|_| view! {
                        <details class="new-action" id=format!("new-action-{incident_id}") data-region="" open=move || err.get().is_some()>
                            <summary data-testid="new-action">"Add an action item"</summary>
                            <ActionForm action=create attr:class="action-form">
                                <input type="hidden" name="incident_id" value=incident_id/>
                                <FormError error=err/>
                                <ActionFields err prefix="new-action"/>
                                <button type="submit" class="button primary">"Add action item"</button>
                            </ActionForm>
                        </details>
                    })
                })}
            </Suspense>
        </div>
    }
}

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
    let edit_err = Signal::derive(move || edit.value().get().and_then(Result::err));
    let move_err = Signal::derive(move || moved.value().get().and_then(Result::err));
    let answer_err = Signal::derive(move || answer.value().get().and_then(Result::err));
    let follow_err = Signal::derive(move || follow.value().get().and_then(Result::err));
    let conflict = move || {
        [edit_err.get(), move_err.get()]
            .into_iter()
            .flatten()
            .find(|e| matches!(e, AppError::Conflict { .. }))
            .map(|_| view! { <p><a href="">"Reload to see the latest"</a></p> })
    };
    let status = i.status;
    let (id, version) = (i.id, i.version);
    let for_check = i.clone();
    let for_edit = i.clone();
    view! {
        <Title text=format!("{} · action item", i.title)/>
        <article class="action-item" data-testid="action-item" data-version=i.version>
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

            {writer.then(|| view! {
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
            })}

            {(status == ActionStatus::Done && writer).then(|| view! {
                <CheckBack item=for_check answer err=answer_err/>
            })}
            {(i.outcome == Some(Outcome::DidNotWork)).then(|| view! {
                <section class="follow-up" aria-label="Follow-up">
                    {if page.follow_ups.is_empty() {
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
                                {page.follow_ups.iter().map(|f| view! { <a href=action_url(*f)>{format!("#{f}")}</a>" " }).collect_view()}
                            </p>
                        }.into_any()
                    }}
                </section>
            })}

            {writer.then(|| view! {
                <details class="edit-action" open=move || edit_err.get().is_some()>
                    <summary>"Edit details"</summary>
                    <ActionForm action=edit attr:class="action-form">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <FormError error=edit_err/>
                        <ActionFields err=edit_err item=for_edit prefix="edit"/>
                        <button type="submit" class="button primary">"Save changes"</button>
                    </ActionForm>
                </details>
            })}

            <section class="history" aria-label="History">
                <h2>"History"</h2>
                {if page.history.is_empty() {
                    view! { <p class="empty">"No changes since it was created."</p> }.into_any()
                } else {
                    view! {
                        <ol class="changes" data-testid="action-history">
                            {page.history.into_iter().rev().map(|c| {
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
        </article>
    }
    .into_any()
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

#[component]
fn ActionTabs(current: &'static str) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Action items">
            <a href="/actions/mine" aria-current=(current == "mine").then_some("page")>"My action items"</a>
            <a href="/actions" aria-current=(current == "all").then_some("page")>"All action items"</a>
        </nav>
    }
}

/// Everything the viewer owns: check-backs waiting for an answer, then overdue items, then by due date.
#[component]
pub fn MyActionsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| my_actions());
    view! {
        <Title text="My action items"/>
        <ActionTabs current="mine"/>
        <h1>"My action items"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(l) => {
                        let asks: Vec<ActionItem> = l.items.iter().filter(|i| i.check_back_due).cloned().collect();
                        let open: Vec<ActionItem> = l.items.iter().filter(|i| !i.status.is_finished()).cloned().collect();
                        let finished: Vec<ActionItem> = l.items.iter().filter(|i| i.status.is_finished()).cloned().collect();
                        view! {
                            <CountsLine counts=l.counts/>
                            {(!asks.is_empty()).then(|| view! {
                                <section class="check-back due" data-testid="my-check-backs">
                                    <h2>"Did it work? Your answer is due"</h2>
                                    <ul>
                                        {asks.into_iter().map(|i| view! {
                                            <li><a href=action_url(i.id)>{i.title.clone()}</a>
                                                <span class="hint">{format!(" — done; check back on {}", i.check_back_on.map(|d| d.to_string()).unwrap_or_default())}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            })}
                            <h2>"To do"</h2>
                            {if open.is_empty() {
                                view! { <p class="empty">"Nothing assigned to you is open."</p> }.into_any()
                            } else {
                                view! { <ActionTable items=open incidents=true/> }.into_any()
                            }}
                            {(!finished.is_empty()).then(|| view! {
                                <h2>"Finished"</h2>
                                <ActionTable items=finished incidents=true/>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Every item, filtered by a plain GET form, with counts and completion overall and per incident.
#[component]
pub fn ActionsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &'static str| query.read().get(k).filter(|s| !s.is_empty());
    let list = Resource::new(
        move || {
            (
                [q("status"), q("owner"), q("type"), q("priority"), q("overdue")],
                [q("severity"), q("team"), q("service"), q("incident"), q("sort"), q("cursor")],
            )
        },
        |([status, owner, kind, priority, overdue], [severity, team, service, incident, sort, cursor])| {
            list_actions(status, owner, kind, priority, overdue, severity, team, service, incident, sort, cursor)
        },
    );
    let selected = move |k: &'static str, v: String| move || q(k).as_deref() == Some(v.as_str());
    view! {
        <Title text="All action items"/>
        <ActionTabs current="all"/>
        <h1>"All action items"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let l = match list.await {
                    Ok(l) => l,
                    Err(e @ AppError::Invalid { .. }) => {
                        return view! {
                            <div class="notice error" role="alert"><p>{e.to_string()}</p><p><a href="/actions">"Clear the filters"</a></p></div>
                        }.into_any();
                    }
                    Err(e) => return view! { <Failure error=e/> }.into_any(),
                };
                let option = move |k: &'static str, v: String, label: String| {
                    view! { <option value=v.clone() selected=selected(k, v)>{label}</option> }
                };
                view! {
                    <form method="get" action="/actions" class="filters wrap" aria-label="Filter action items">
                        <label>"Status "<select name="status">
                            <option value="">"Any"</option>
                            {ActionStatus::ALL.iter().map(|s| option("status", s.as_str().into(), s.label().into())).collect_view()}
                        </select></label>
                        <label>"Owner "<select name="owner">
                            <option value="">"Anyone"</option>
                            {option("owner", "me".into(), "Me".into())}
                            {l.owners.iter().map(|u| option("owner", u.id.to_string(), u.name.clone())).collect_view()}
                        </select></label>
                        <label>"Type "<select name="type">
                            <option value="">"Any"</option>
                            {ActionType::ALL.iter().map(|t| option("type", t.as_str().into(), t.label().into())).collect_view()}
                        </select></label>
                        <label>"Priority "<select name="priority">
                            <option value="">"Any"</option>
                            {Priority::ALL.iter().map(|p| option("priority", p.as_str().into(), p.as_str().into())).collect_view()}
                        </select></label>
                        <label>"Overdue "<select name="overdue">
                            <option value="">"Either"</option>
                            {option("overdue", "true".into(), "Overdue only".into())}
                            {option("overdue", "false".into(), "Not overdue".into())}
                        </select></label>
                        <label>"Severity "<select name="severity">
                            <option value="">"Any"</option>
                            {Severity::ALL.iter().map(|s| option("severity", s.as_str().into(), s.as_str().into())).collect_view()}
                        </select></label>
                        <label>"Team "<select name="team">
                            <option value="">"Any"</option>
                            {l.teams.iter().map(|t| option("team", t.clone(), t.clone())).collect_view()}
                        </select></label>
                        <label>"Service "<input name="service" size="12" value=q("service").unwrap_or_default()/></label>
                        <label>"Sort "<select name="sort">
                            {option("sort", "due".into(), "Due soonest".into())}
                            {option("sort", "-due".into(), "Due latest".into())}
                        </select></label>
                        {q("incident").map(|i| view! { <input type="hidden" name="incident" value=i/> })}
                        <button type="submit" class="button">"Filter"</button>
                        <a href="/actions">"Clear"</a>
                    </form>
                    <PageLinks shown=l.items.len() total=l.counts.total as i64 next=l.next.clone()/>
                    <CountsLine counts=l.counts/>
                    {if l.items.is_empty() {
                        view! { <p class="empty">"No action items match."</p> }.into_any()
                    } else {
                        view! {
                            <ActionTable items=l.items incidents=true/>
                            <h2>"By incident"</h2>
                            <table class="list" data-testid="counts-by-incident">
                                <thead><tr><th>"Incident"</th><th>"Items"</th><th>"Done"</th><th>"Won't do"</th><th>"Overdue"</th><th>"Completion"</th></tr></thead>
                                <tbody>
                                    {l.by_incident.into_iter().map(|c| view! {
                                        <tr>
                                            <td><a href=incident_url(c.incident_id)>{incident_ref(c.incident_id)}</a>" "{c.title}</td>
                                            <td>{c.counts.total}</td>
                                            <td>{c.counts.done}</td>
                                            <td>{c.counts.wont_do}</td>
                                            <td>{(c.counts.overdue > 0).then(|| view! { <span class="badge overdue">{c.counts.overdue}</span> })}</td>
                                            <td>{c.counts.completion_rate.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}
