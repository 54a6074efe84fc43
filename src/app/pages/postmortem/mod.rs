//! The write-up and the pages around it: the editor (this file), its generated parts, the review,
//! a section's history, the template, the library, the published page and the settings.

mod extras;
mod history;
mod library;
mod published;
mod review;
mod section;
mod settings;
mod template;

pub use history::SectionHistoryPage;
pub use library::LibraryPage;
pub use published::PublishedPage;
pub use section::FlagList;
pub use settings::{SettingsForm, SignInSettings};
pub use template::TemplatePage;

use crate::api::postmortems::{
    get_postmortem_page, AddContributingFactor, RemoveContributingFactor, SavePostmortemSection, StartPostmortem,
    ToggleTimelineEvent,
};
use crate::app::components::Failure;
use crate::app::pages::IncidentActions;
use crate::domain::postmortem::{Postmortem, SectionFlag};
use crate::domain::time::format_duration;
use extras::*;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use review::*;
use section::*;

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
                                    <section class="pm-section" aria-label="Milestones" data-testid="pm-milestones">
                                        <h2>"Milestones"</h2>
                                        <p class="hint">"Corrected on "<a href=i.url.clone()>"the incident's page"</a>"."</p>
                                        <crate::app::pages::incident_milestones::MilestonesTable rows=p.milestones/>
                                    </section>
                                    <ReviewPanel pm=pm.clone() admin=p.me.is_admin() review/>
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
