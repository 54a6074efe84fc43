use crate::api::postmortems::{
    get_postmortem_page, get_publication, get_settings, get_template, list_library, section_history,
    AddContributingFactor, ApprovePostmortem, PublishPostmortem, RemoveContributingFactor, RequestPostmortemChanges,
    SavePostmortemSection, SaveSettings, SaveTemplate, StartPostmortem, SubmitPostmortem, ToggleTimelineEvent,
};
use crate::app::components::{raw_text, typed, Failure, FieldError, FormError};
use crate::app::components::{PageLinks, SeverityBadge};
use crate::app::islands::{DraftKeeper, PreviewButton};
use crate::app::pages::IncidentActions;
use crate::domain::blameless::BlamelessFlag;
use crate::domain::diff::DiffLine;
use crate::domain::postmortem::{template_lines, Section, SectionFlag};
use crate::domain::postmortem::{ContributingFactor, FactorCategory, Postmortem, PostmortemStatus, TimelineItem};
use crate::domain::time::{format_duration, format_utc};
use crate::domain::{Severity, UserRef};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The write-up: every section edited on its own, with preview, drafts, conflicts and history.
#[component]
pub fn PostmortemPage() -> impl IntoView {
    let params = use_params_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    let start = ServerAction::<StartPostmortem>::new();
    let save = ServerAction::<SavePostmortemSection>::new();
    let review = ReviewActions::new();
    let extras = ExtraActions::new();
    let page = Resource::new(
        move || (reference(), start.version().get(), save.version().get(), review.version(), extras.version()),
        |(r, ..)| get_postmortem_page(r),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(p) => {
                        let i = p.incident.clone();
                        let head = view! {
                            <Title text=format!("Postmortem {} {}", i.reference, i.title)/>
                            <p class="ref"><a href=i.url.clone()>{i.reference.clone()}</a></p>
                            <h1>"Postmortem: " {i.title.clone()}</h1>
                        };
                        match p.postmortem {
                            None => view! {
                                {head}
                                <p>"No postmortem yet. It starts from the current template; each section is written and saved on its own."</p>
                                <ActionForm action=start>
                                    <input type="hidden" name="id" value=i.id/>
                                    <button type="submit" class="button primary">"Start the postmortem"</button>
                                </ActionForm>
                            }.into_any(),
                            Some(pm) => {
                                let flagged = pm.blameless_flags.len();
                                // Follow-ups show even when the template has no section for them.
                                let actions_elsewhere = (!pm.sections.iter().any(|s| s.key == "action_items")).then(|| view! {
                                    <section class="pm-section" aria-label="Action items">
                                        <h2>"Action items"</h2>
                                        <IncidentActions incident_id=i.id/>
                                    </section>
                                });
                                let sections = pm.sections.clone().into_iter().zip(p.rendered).map(|(s, html)| {
                                    let flags: Vec<SectionFlag> =
                                        pm.blameless_flags.iter().filter(|f| f.section == s.key).cloned().collect();
                                    let extra = section_extra(&pm, &s.key, extras);
                                    view! { <SectionEditor incident_id=i.id reference=i.reference.clone() section=s html flags save extra/> }
                                }).collect_view();
                                view! {
                                    {head}
                                    <p class="facts">
                                        <span class="badge status" data-testid="pm-status">{pm.status.as_str()}</span>
                                        <a class="button" href=format!("{}/postmortem.md", i.url) download>"Download Markdown"</a>
                                    </p>
                                    <ReviewPanel pm=pm.clone() users=p.users.clone() me=p.me.id admin=p.me.is_admin() review/>
                                    {(flagged > 0).then(|| view! {
                                        <p class="notice" data-testid="blameless-summary">
                                            {format!("{flagged} phrase(s) may read as blame. Each is marked below with a system-focused rewording.")}
                                        </p>
                                    })}
                                    {sections}
                                    {actions_elsewhere}
                                }.into_any()
                            }
                        }
                    }
                }
            })}
        </Suspense>
    }
}

/// The actions of the generated parts of sections: key events, time to detect, factors.
#[derive(Clone, Copy)]
struct ExtraActions {
    toggle: ServerAction<ToggleTimelineEvent>,
    add_factor: ServerAction<AddContributingFactor>,
    remove_factor: ServerAction<RemoveContributingFactor>,
}

impl ExtraActions {
    fn new() -> Self {
        ExtraActions {
            toggle: ServerAction::new(),
            add_factor: ServerAction::new(),
            remove_factor: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
        self.toggle.version().get() + self.add_factor.version().get() + self.remove_factor.version().get()
    }
}

/// What a section shows besides its text, built from the incident and the write-up's lists.
fn section_extra(pm: &Postmortem, key: &str, extras: ExtraActions) -> Option<AnyView> {
    match key {
        "timeline" => Some(view! { <KeyEventPicker id=pm.incident_id items=pm.timeline.clone() action=extras.toggle/> }.into_any()),
        "detection" => Some(
            view! {
                <p class="time-to-detect" data-testid="time-to-detect">
                    {match pm.time_to_detect_seconds {
                        Some(s) => format!("Time to detect: {}", format_duration(chrono::Duration::seconds(s))),
                        None => "Time to detect: not known yet. Mark the timeline note where we found out as a detection.".to_string(),
                    }}
                </p>
            }
            .into_any(),
        ),
        "action_items" => Some(view! { <IncidentActions incident_id=pm.incident_id/> }.into_any()),
        "contributing_factors" => Some(
            view! {
                <FactorList id=pm.incident_id factors=pm.contributing_factors.clone() add=extras.add_factor remove=extras.remove_factor/>
            }
            .into_any(),
        ),
        _ => None,
    }
}

/// The incident's key events, each included in the timeline section or left out with one button.
#[component]
fn KeyEventPicker(id: i64, items: Vec<TimelineItem>, action: ServerAction<ToggleTimelineEvent>) -> impl IntoView {
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
fn FactorList(
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

/// The review steps' actions, shared by the panel and the page's reload trigger.
#[derive(Clone, Copy)]
struct ReviewActions {
    submit: ServerAction<SubmitPostmortem>,
    approve: ServerAction<ApprovePostmortem>,
    changes: ServerAction<RequestPostmortemChanges>,
    publish: ServerAction<PublishPostmortem>,
}

impl ReviewActions {
    fn new() -> Self {
        ReviewActions {
            submit: ServerAction::new(),
            approve: ServerAction::new(),
            changes: ServerAction::new(),
            publish: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
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
fn PublishAnyway(id: i64, review: ReviewActions, err: Signal<Option<AppError>>) -> impl IntoView {
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
fn ReviewPanel(pm: Postmortem, users: Vec<UserRef>, me: i64, admin: bool, review: ReviewActions) -> impl IntoView {
    let err = Signal::derive(move || review.error());
    let id = pm.incident_id;
    let reviewer_ids: Vec<i64> = pm.reviewers.iter().map(|r| r.user.id).collect();
    let status = pm.status;
    let section_choices: Vec<(String, String)> = pm.sections.iter().map(|s| (s.key.clone(), s.title.clone())).collect();
    let section_choices =
        section_choices.into_iter().map(|(k, t)| view! { <option value=k>{t}</option> }).collect::<Vec<_>>();
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
                    <ActionForm action=review.submit attr:class="submit-form">
                        <input type="hidden" name="id" value=id/>
                        <fieldset>
                            <legend>"Reviewers"</legend>
                            {users.iter().filter(|u| u.id != me).enumerate().map(|(i, u)| view! {
                                <label class="choice">
                                    <input type="checkbox" name=format!("reviewers[{i}]") value=u.id
                                        checked=reviewer_ids.contains(&u.id)/>
                                    {u.name.clone()}
                                </label>
                            }).collect_view()}
                        </fieldset>
                        <button type="submit" class="button">
                            {if status == PostmortemStatus::Draft { "Submit for review" } else { "Send revision to review" }}
                        </button>
                    </ActionForm>
                }.into_any(),
                PostmortemStatus::InReview => view! {
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
                }.into_any(),
            }}
            {(!pm.comments.is_empty()).then(|| view! {
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
            })}
        </section>
    }
    .into_any()
}

#[component]
fn SectionEditor(
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

/// A section's saved versions, and the difference between any two.
#[component]
pub fn SectionHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let p = params.read();
            let q = query.read();
            (
                p.get("reference").unwrap_or_default(),
                p.get("key").unwrap_or_default(),
                q.get("from").and_then(|v| v.parse().ok()),
                q.get("to").and_then(|v| v.parse().ok()),
                q.get("cursor").filter(|c| !c.is_empty()),
            )
        },
        |(r, k, f, t, c)| section_history(r, k, f, t, c),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(h) => {
                        let (from, to) = h.diff.as_ref().map(|(f, t, _)| (*f, *t)).unwrap_or((0, 0));
                        let latest = h.latest;
                        view! {
                            <Title text=format!("History: {}", h.title)/>
                            <p class="ref"><a href=format!("{}/postmortem", h.incident.url)>{format!("{} postmortem", h.incident.reference)}</a></p>
                            <h1>"History: " {h.title.clone()}</h1>
                            <form method="get" class="filters">
                                // Numbers rather than a list of every version: a long history stays one small page.
                                <label for="from">"Compare version (0 is empty)"</label>
                                <input id="from" name="from" type="number" min="0" max=latest value=from size="5"/>
                                <label for="to">"with"</label>
                                <input id="to" name="to" type="number" min="1" max=latest value=to size="5"/>
                                <button type="submit" class="button">"Show difference"</button>
                            </form>
                            {h.diff.map(|(_, _, lines)| view! {
                                <pre class="diff" data-testid="diff">
                                    {lines.into_iter().map(|l| match l {
                                        DiffLine::Same(t) => view! { <span class="same">{format!("  {t}\n")}</span> }.into_any(),
                                        DiffLine::Added(t) => view! { <ins>{format!("+ {t}\n")}</ins> }.into_any(),
                                        DiffLine::Removed(t) => view! { <del>{format!("- {t}\n")}</del> }.into_any(),
                                    }).collect_view()}
                                </pre>
                            })}
                            <PageLinks shown=h.revisions.items.len() total=h.revisions.total next=h.revisions.next.clone()/>
                            <table class="list">
                                <thead><tr><th>"Version"</th><th>"By"</th><th>"Saved (UTC)"</th></tr></thead>
                                <tbody>
                                    {h.revisions.items.into_iter().map(|r| view! {
                                        <tr><td>{format!("v{}", r.version)}</td><td>{r.author.name}</td><td>{format_utc(r.created_at)}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Admins edit the postmortem template; postmortems already started keep their sections.
#[component]
pub fn TemplatePage() -> impl IntoView {
    let save = ServerAction::<SaveTemplate>::new();
    let template = Resource::new(move || save.version().get(), |_| get_template());
    let err = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <SettingsForm/>
        <h2>"Postmortem template"</h2>
        <p class="hint">
            "One section per line: " <code>"key | title | required or optional | guidance"</code>
            ". Order here is the order in the write-up. Postmortems already started keep the sections they began with."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match template.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(t) => {
                        let current = template_lines(&t);
                        view! {
                            <ActionForm action=save>
                                <label for="sections">"Sections"</label>
                                <textarea id="sections" name="sections" rows="16" class="mono">
                                    {move || {
                                        let typed = typed(err, "sections")();
                                        raw_text(if typed.is_empty() { current.clone() } else { typed })
                                    }}
                                </textarea>
                                <FieldError error=err field="sections"/>
                                <button type="submit" class="button primary">"Save template"</button>
                                {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <span class="saved" role="status">"Saved"</span> })}
                            </ActionForm>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Published write-ups, newest first, searchable; filters are a plain GET form.
#[component]
pub fn LibraryPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let entries = Resource::new(
        move || (get("q"), get("severity"), get("service"), get("month"), get("cursor")),
        |(q, sev, svc, m, c)| list_library(q, sev, svc, m, c),
    );
    view! {
        <Title text="Library"/>
        <div class="page-head">
            <h1>"Library"</h1>
            <a href="/library/feed.xml" class="hint">"Atom feed"</a>
        </div>
        <form method="get" action="/library" class="filters" role="search">
            <label for="q">"Search"</label>
            <input id="q" name="q" type="search" value=move || get("q").unwrap_or_default()/>
            <label for="f-severity">"Severity"</label>
            <select id="f-severity" name="severity">
                <option value="">"Any"</option>
                {Severity::ALL.iter().map(|s| {
                    let v = s.as_str();
                    view! { <option value=v selected=move || get("severity").as_deref() == Some(v)>{v}</option> }
                }).collect_view()}
            </select>
            <label for="service">"Service"</label>
            <input id="service" name="service" value=move || get("service").unwrap_or_default()/>
            <label for="month">"Month"</label>
            <input id="month" name="month" type="month" value=move || get("month").unwrap_or_default()/>
            <button type="submit" class="button">"Find"</button>
        </form>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! { <p class="empty">"No published postmortems match."</p> }.into_any(),
                    Ok(page) => view! {
                        <PageLinks shown=page.items.len() total=page.total next=page.next.clone()/>
                        <ul class="library" data-testid="library">
                            {page.items.into_iter().map(|e| view! {
                                <li>
                                    <a href=e.url.clone()>{format!("{} {}", e.reference, e.title)}</a>" "
                                    <SeverityBadge severity=e.severity/>
                                    <span class="hint">
                                        {format!(" published {} by {}", format_utc(e.published_at), e.published_by)}
                                        {(e.revision > 1).then(|| format!(" (revision {})", e.revision))}
                                        {(!e.services.is_empty()).then(|| format!(" · {}", e.services.join(", ")))}
                                    </span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The permanent page of a published write-up: clean, and made to print.
#[component]
pub fn PublishedPage() -> impl IntoView {
    let params = use_params_map();
    let publication = Resource::new(move || params.read().get("reference").unwrap_or_default(), get_publication);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match publication.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok(p) => {
                        let e = p.entry;
                        view! {
                            <Title text=format!("{} {}", e.reference, e.title)/>
                            <article class="published" data-testid="published">
                                <p class="ref">{e.reference.clone()}" · " <SeverityBadge severity=e.severity/></p>
                                <h1>{e.title.clone()}</h1>
                                <p class="hint">
                                    {format!("Published {} by {}", format_utc(e.published_at), e.published_by)}
                                    {(e.revision > 1).then(|| format!(" · revision {}", e.revision))}
                                    " · " <a href=format!("/incidents/{}/postmortem.md", e.reference) download>"Markdown"</a>
                                </p>
                                {e.override_reason.clone().map(|r| view! {
                                    <p class="notice" data-testid="override-reason">
                                        <strong>"Published without an independent review. "</strong>
                                        {format!("{}: {r}", e.published_by)}
                                    </p>
                                })}
                                // Rendered and sanitised (pulldown-cmark + ammonia) when it was published.
                                <div class="md" inner_html=p.html></div>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Where publications are announced, and Debrief's own address for links.
#[component]
pub fn SettingsForm() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_settings());
    let err = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <h2>"Publishing"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                    Ok((webhook, public)) => view! {
                        <ActionForm action=save attr:class="narrow">
                            <label for="webhook_url">"Webhook URL (Slack-compatible; empty for none)"</label>
                            <input id="webhook_url" name="webhook_url" type="url"
                                value=move || err.get().and_then(|e| e.value("webhook_url")).unwrap_or_else(|| webhook.clone())/>
                            <FieldError error=err field="webhook_url"/>
                            <label for="public_url">"Debrief's address, for links in messages"</label>
                            <input id="public_url" name="public_url" type="url" required
                                value=move || err.get().and_then(|e| e.value("public_url")).unwrap_or_else(|| public.clone())/>
                            <FieldError error=err field="public_url"/>
                            <button type="submit" class="button primary">"Save"</button>
                            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <span class="saved" role="status">"Saved"</span> })}
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
