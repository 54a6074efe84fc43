use crate::api::incidents::{get_incident_page, AddNote, AssignRole, ChangeIncident};
use crate::api::postmortems::CloseIncident;
use crate::app::components::{typed, Failure, FieldError, FormError, SeverityBadge, StatusBadge, When};
use crate::app::pages::incident_access::{Access, AccessActions};
use crate::app::pages::incident_triage::TriagePanel;
use crate::app::pages::ActionsOf;
use crate::domain::{
    parse_incident_ref, EventKind, EventRow, IncidentPage as PageData, IncidentStatus, KeyKind, Role, Severity,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The incident during the outage: state, roles, and the live timeline. Rendered on the server
/// only; in a browser the page follows the incident's live stream (`data-live-incident`), and its
/// regions are replaced as they change (see `app::browser`).
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    let before = move || query.read().get("before");
    let pick = move || (query.read().get("pick"), query.read().get("person"));

    let change = ServerAction::<ChangeIncident>::new();
    let assign = ServerAction::<AssignRole>::new();
    let note = ServerAction::<AddNote>::new();
    let post = ServerAction::<crate::api::incidents::PostStakeholderUpdate>::new();
    let correct = ServerAction::<crate::api::incidents::CorrectMilestone>::new();
    let access = AccessActions::new();
    let page = Resource::new(
        move || (reference(), before(), pick()),
        |(r, b, (pick, person))| get_incident_page(r, b, pick, person),
    );
    let id = parse_incident_ref(&reference());
    // The note form is a region of its own, so a live update never wipes what is being typed.
    view! {
        <article class="incident" data-testid="incident" data-live-incident=id>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <Failure error=e/> }.into_any(),
                        Ok(p) => view! {
                            <div id="incident-state" data-region="">
                                <super::incident_update::LatestUpdateBox latest=p.latest_update.clone()/>
                                <Incident page=p.clone() change assign/>
                                <super::incident_milestones::MilestonesPanel page=p.clone() action=correct/>
                                <Access page=p actions=access/>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
            // Its own region, like the note form: a live change never wipes an update being written.
            <div id="update-form" data-region="">
                <super::incident_update::UpdateForm id=id.unwrap_or_default() post/>
            </div>
            <section class="timeline" aria-label="Timeline">
                <h2>"Timeline"</h2>
                <div id="note-form" data-region="">
                    <NoteForm id=id.unwrap_or_default() note/>
                </div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move { page.await.ok().map(|p| view! {
                        <div id="timeline-events" data-region=""><Events page=p/></div>
                    }) })}
                </Suspense>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move { page.await.ok().map(|p| view! {
                    <section class="actions-section" aria-label="Action items">
                        <h2>"Action items"</h2>
                        <ActionsOf incident_id=p.incident.id list=p.actions/>
                    </section>
                }) })}
            </Suspense>
        </article>
    }
}

/// The server's figure; in a browser it ticks every second while the incident is open.
#[component]
fn RunningDuration(page: PageData) -> impl IntoView {
    let until = page.incident.resolved_at.map(|r| r.to_rfc3339());
    view! {
        <span data-since=page.incident.started_at.to_rfc3339() data-until=until>{page.duration.clone()}</span>
    }
}

#[component]
fn Incident(page: PageData, change: ServerAction<ChangeIncident>, assign: ServerAction<AssignRole>) -> impl IntoView {
    let i = page.incident.clone();
    view! {
        <Title text=format!("{} {}", i.reference, i.title)/>
        <IncidentHead page=page.clone()/>
        <IncidentControls incident=i change/>
        <IncidentRoles page assign/>
    }
}

/// Reference, title, severity, status, how long it has lasted, and the facts.
#[component]
fn IncidentHead(page: PageData) -> impl IntoView {
    let i = page.incident.clone();
    let ongoing = i.resolved_at.is_none();
    view! {
        <header class="incident-head" id="incident-head" data-region="" data-version=i.version>
            <p class="ref" data-testid="ref">{i.reference.clone()}</p>
            <h1 data-testid="title">{i.title.clone()}</h1>
            <p class="facts">
                <SeverityBadge severity=i.severity/>
                <StatusBadge status=i.status/>
                {i.private.then(|| view! { <span class="badge private" data-testid="private-badge">"Private"</span> })}
                <span class="duration" data-testid="duration">
                    {if ongoing { "Ongoing for " } else { "Lasted " }} <RunningDuration page=page.clone()/>
                </span>
            </p>
            <dl class="meta">
                <dt>"Started"</dt><dd><When stamp=page.started.clone()/></dd>
                {page.resolved.clone().map(|r| view! { <dt>"Resolved"</dt><dd><When stamp=r/></dd> })}
                <dt>"Declared by"</dt><dd>{i.declared_by.name.clone()}</dd>
                {i.source.clone().map(|s| view! { <dt>"Alert source"</dt><dd data-testid="source">{s.integration_name}</dd> })}
                <dt>"Postmortem"</dt><dd><a href=format!("{}/postmortem", i.url) data-testid="postmortem-link">"Write-up"</a></dd>
                {(!i.services.is_empty()).then(|| view! { <dt>"Services"</dt><dd>{i.services.join(", ")}</dd> })}
            </dl>
            {(!i.summary.is_empty()).then(|| view! { <p class="summary">{i.summary.clone()}</p> })}
        </header>
    }
}

/// The status moves the incident allows, closing it, and its severity.
#[component]
fn IncidentControls(incident: crate::domain::Incident, change: ServerAction<ChangeIncident>) -> impl IntoView {
    let i = incident;
    let change_err = Signal::derive(move || change.value().get().and_then(Result::err));
    view! {
        <section class="controls" id="incident-controls" data-region="" aria-label="Change the incident">
            <FormError error=change_err/>
            <FieldError error=change_err field="status"/>
            {move || change_err.get().filter(|e| matches!(e, AppError::Conflict { .. })).map(|_| view! {
                <p><a href="">"Reload to see the latest"</a></p>
            })}
            <div class="status-buttons" role="group" aria-label="Status">
                {i.status.next().iter().map(|s| view! {
                    <ActionForm action=change attr:class="inline">
                        <input type="hidden" name="id" value=i.id/>
                        <input type="hidden" name="version" value=i.version/>
                        <input type="hidden" name="status" value=s.as_str()/>
                        <button type="submit" class="button">{format!("Mark {}", s.label().to_lowercase())}</button>
                    </ActionForm>
                }).collect_view()}
            </div>
            {(i.status == IncidentStatus::Triage).then(|| view! { <TriagePanel id=i.id source=i.source.clone()/> })}
            {(i.status == IncidentStatus::Resolved).then(|| view! { <CloseForm id=i.id/> })}
            <ActionForm action=change attr:class="inline severity-form">
                <input type="hidden" name="id" value=i.id/>
                <input type="hidden" name="version" value=i.version/>
                <label for="severity">"Severity"</label>
                <select id="severity" name="severity">
                    {Severity::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=*s == i.severity title=s.meaning()>{s.as_str()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button">"Change severity"</button>
            </ActionForm>
        </section>
    }
}

/// Who holds each role: take it, clear it, or find someone for it.
#[component]
fn IncidentRoles(page: PageData, assign: ServerAction<AssignRole>) -> impl IntoView {
    let i = page.incident.clone();
    let assign_err = Signal::derive(move || assign.value().get().and_then(Result::err));
    let pick = page.pick.clone();
    let me = page.me.id;
    view! {
        <section class="roles" id="incident-roles" data-region="" aria-label="Roles">
            <h2>"Roles"</h2>
            <FormError error=assign_err/>
            <ul>
                {Role::ALL.iter().map(|role| {
                    let holder = i.role_holder(*role).cloned();
                    let is_me = holder.as_ref().is_some_and(|h| h.id == me);
                    let picking = pick.as_ref().filter(|p| p.role == *role).cloned();
                    view! {
                        <li data-testid=format!("role-{}", role.as_str())>
                            <span class="role">{role.label()}</span>": "
                            <strong>{holder.as_ref().map(|h| h.name.clone()).unwrap_or_else(|| "unassigned".into())}</strong>
                            {(!is_me).then(|| view! {
                                <ActionForm action=assign attr:class="inline">
                                    <input type="hidden" name="id" value=i.id/>
                                    <input type="hidden" name="role" value=role.as_str()/>
                                    <input type="hidden" name="user_id" value=me/>
                                    <button type="submit" class="link">"Take it"</button>
                                </ActionForm>
                            })}
                            {holder.is_some().then(|| view! { <ClearRole id=i.id role=*role assign/> })}
                            <FindPerson url=i.url.clone() role=*role query=picking.as_ref().map(|p| p.query.clone()).unwrap_or_default()/>
                            {picking.map(|p| view! { <Matches id=i.id pick=p assign/> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Finds someone for a role with a plain GET form: the page then lists the matches, so it never has
/// to list everyone (and works without JavaScript).
#[component]
fn FindPerson(url: String, role: Role, query: String) -> impl IntoView {
    let field = format!("find-{}", role.as_str());
    view! {
        <form method="get" action=url class="inline find-person">
            <input type="hidden" name="pick" value=role.as_str()/>
            <label class="visually-hidden" for=field.clone()>{format!("Find someone to be {}", role.label().to_lowercase())}</label>
            <input id=field name="person" type="search" required maxlength="200" placeholder="Name or email" value=query/>
            <button type="submit" class="button small">"Find"</button>
        </form>
    }
}

/// The people a role search found, each one click from taking the role.
#[component]
fn Matches(id: i64, pick: crate::domain::PeoplePick, assign: ServerAction<AssignRole>) -> impl IntoView {
    let role = pick.role;
    if pick.matches.is_empty() {
        return view! { <p class="hint" data-testid="no-match">{format!("No one who can take a role matches \u{201c}{}\u{201d}", pick.query)}</p> }.into_any();
    }
    view! {
        <ul class="matches" data-testid="matches">
            {pick.matches.into_iter().map(|u| view! {
                <li>
                    <ActionForm action=assign attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="role" value=role.as_str()/>
                        <input type="hidden" name="user_id" value=u.id/>
                        <button type="submit" class="button small">{format!("Make {} {}", u.name, role.label().to_lowercase())}</button>
                    </ActionForm>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ClearRole(id: i64, role: Role, assign: ServerAction<AssignRole>) -> impl IntoView {
    view! {
        <ActionForm action=assign attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="role" value=role.as_str()/>
            <input type="hidden" name="user_id" value=""/>
            <button type="submit" class="link">"Clear"</button>
        </ActionForm>
    }
}

/// Closing a resolved incident without a postmortem takes a stated reason.
#[component]
fn CloseForm(id: i64) -> impl IntoView {
    let close = ServerAction::<CloseIncident>::new();
    let err = Signal::derive(move || close.value().get().and_then(Result::err));
    view! {
        <details class="close-form" open=move || err.get().is_some()>
            <summary>"Close without a postmortem"</summary>
            <ActionForm action=close>
                <input type="hidden" name="id" value=id/>
                <label for="close-reason">"Why does this incident need no postmortem?"</label>
                <input id="close-reason" name="reason" required value=typed(err, "reason")/>
                <FieldError error=err field="reason"/>
                <FormError error=err/>
                <button type="submit" class="button">"Close incident"</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

#[component]
fn NoteForm(id: i64, note: ServerAction<AddNote>) -> impl IntoView {
    let err = Signal::derive(move || note.value().get().and_then(Result::err));
    view! {
        <ActionForm action=note attr:class="note-form">
            <input type="hidden" name="id" value=id/>
            <label for="note-body" class="visually-hidden">"Add a note"</label>
            <input id="note-body" name="body" required autocomplete="off" data-testid="note-body"
                placeholder="What is happening? Markdown works; Enter adds it." value=typed(err, "body")/>
            <FieldError error=err field="body"/>
            <details class="note-more" open=move || !typed(err, "occurred_at")().is_empty() || !typed(err, "key")().is_empty()>
                <summary>"Backfill or mark as key event"</summary>
                <label for="note-occurred">"Occurred at (your time zone; empty means now)"</label>
                <input id="note-occurred" name="occurred_at" type="datetime-local" step="1" value=typed(err, "occurred_at")/>
                <FieldError error=err field="occurred_at"/>
                <label for="note-key">"Key event"</label>
                <select id="note-key" name="key">
                    <option value="">"—"</option>
                    {KeyKind::ALL.iter().map(|k| view! {
                        <option value=k.as_str() selected=move || typed(err, "key")() == k.as_str()>{k.as_str()}</option>
                    }).collect_view()}
                </select>
                <FieldError error=err field="key"/>
            </details>
            <FormError error=err/>
            <button type="submit" class="button primary">"Add note"</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn Events(page: PageData) -> impl IntoView {
    let total = page.total_events;
    let shown = page.events.len();
    view! {
        <p class="hint">{format!("Showing {shown} of {total} events, newest first")}</p>
        <ol class="events" data-testid="timeline">
            {page.events.into_iter().rev().map(|row| view! { <Event row/> }).collect_view()}
        </ol>
        {page.older.map(|cursor| view! {
            <p class="older">
                <a href=format!("{}?before={cursor}", page.incident.url)>"Show earlier events"</a>
            </p>
        })}
    }
    .into_any()
}

#[component]
fn Event(row: EventRow) -> impl IntoView {
    let e = row.event;
    let kind = e.kind;
    let generated = kind != EventKind::Note;
    view! {
        <li class=format!("event {}", kind.as_str()) class:generated=generated data-testid="event">
            <div class="event-when">
                <When stamp=row.occurred/>
                {row.recorded.map(|r| view! { <span class="recorded">"recorded " <When stamp=r/></span> })}
            </div>
            <div class="event-body">
                {e.key.map(|k| view! { <span class=format!("badge key {}", k.as_str())>{k.as_str()}</span> })}
                <span class="author">{e.author.name}</span>
                // Sanitised on the server when the note was written (pulldown-cmark + ammonia).
                <div class="md" inner_html=e.body_html></div>
            </div>
        </li>
    }
}
