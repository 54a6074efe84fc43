mod account;
mod actions;
mod api_reference;
mod audit;
mod declare;
mod incident;
mod incident_access;
pub mod incident_milestones;
mod incident_triage;
mod incident_update;
mod incidents;
mod insights;
mod integrations;
mod notifications;
mod postmortem;
mod profile;
mod reset;
mod status;
mod status_settings;
mod tokens;
mod users;

pub use account::{LoginPage, SetupPage};
pub use actions::{ActionItemPage, ActionsOf, ActionsPage, IncidentActions, MyActionsPage};
pub use api_reference::ApiReferencePage;
pub use audit::AuditPage;
pub use declare::DeclarePage;
pub use incident::IncidentPage;
pub use incidents::IncidentsPage;
pub use insights::InsightsPage;
pub use integrations::IntegrationsPage;
pub use notifications::NotificationsPage;
pub use postmortem::{FlagList, LibraryPage, PostmortemPage, PublishedPage, SectionHistoryPage, TemplatePage};
pub use profile::{ProfilePage, ShownOnce};
pub use reset::ResetPage;
pub use status::StatusPage;
pub use status_settings::StatusSettingsPage;
pub use users::UsersPage;

use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn Home() -> impl IntoView {
    view! { <Redirect path="/incidents"/> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    super::components::set_status(404);
    view! {
        <div class="notice">
            <h1>"Page not found"</h1>
            <p><a href="/incidents">"All incidents"</a></p>
        </div>
    }
}
