//! The UI: shell, routes and layout. Every page is server-rendered complete (SsrMode::Async), so it
//! works without JavaScript. Only islands reach the browser's WASM: `Enhance` (forms in place, live
//! updates, see `browser`) and the postmortem editor's drafts and preview.

pub mod browser;
pub mod components;
pub mod islands;
pub mod pages;

use crate::api::auth::{top_bar, SignOut};
use components::raw_text;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};
use pages::*;

/// The document around the app, rendered on the server only (in the browser only islands wake up).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    // Only scripts with this response's nonce may run (Leptos puts it on its own inline scripts).
    if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(v) = axum::http::HeaderValue::from_str(&crate::server::headers::content_security_policy(&nonce)) {
            res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    // The stylesheet's name carries its content's hash (see `server::assets`).
    let stylesheet = use_context::<crate::server::AppState>().map(|s| format!("/pkg/{}", s.assets.stylesheet));
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=stylesheet/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|t: String| raw_text(if t.is_empty() { "Debrief".to_string() } else { format!("{t} · Debrief") })/>
        <Router>
            <Header/>
            <main id="main" data-region="">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents") view=IncidentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/new") view=DeclarePage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/:reference") view=IncidentPage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/:reference/postmortem") view=PostmortemPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/incidents/:reference/postmortem/:key/history")
                        view=SectionHistoryPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/actions") view=ActionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/actions/mine") view=MyActionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/actions/:id") view=ActionItemPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/template") view=TemplatePage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/integrations") view=IntegrationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/status") view=StatusSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/status") view=StatusPage ssr=SsrMode::Async/>
                    <Route path=path!("/api-docs") view=ApiReferencePage ssr=SsrMode::Async/>
                    <Route path=path!("/library") view=LibraryPage ssr=SsrMode::Async/>
                    <Route path=path!("/insights") view=InsightsPage ssr=SsrMode::Async/>
                    <Route path=path!("/library/:reference") view=PublishedPage ssr=SsrMode::Async/>
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset/:secret") view=ResetPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            // Last, so that it hydrates after any island in the page.
            <islands::Enhance/>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    // Re-read on navigation, so signing in or out shows at once.
    let me = Resource::new(move || (location.pathname.get(), sign_out.version().get()), |_| top_bar());
    view! {
        <header class="topbar" id="topbar" data-region="">
            <A href="/incidents" attr:class="brand">"Debrief"</A>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some((user, overdue))) => {
                            let admin = user.is_admin();
                            view! {
                                <nav aria-label="Main">
                                    <A href="/incidents">"Incidents"</A>
                                    <A href="/actions/mine">
                                        "Action items"
                                        {(overdue > 0).then(|| view! {
                                            " "<span class="badge overdue" title="Your overdue action items" data-testid="overdue-badge">{overdue}</span>
                                        })}
                                    </A>
                                    <A href="/library">"Library"</A>
                                    <A href="/insights">"Insights"</A>
                                    <A href="/status">"Status"</A>
                                    {admin.then(|| view! {
                                        <A href="/users">"Users"</A> <A href="/settings/template">"Settings"</A>
                                        <A href="/audit">"Audit log"</A>
                                    })}
                                    <A href="/profile">{user.name.clone()}</A>
                                </nav>
                                <A href="/incidents/new" attr:class="button danger declare">"Declare incident"</A>
                                <ActionForm action=sign_out attr:class="inline">
                                    <button type="submit" class="link">"Sign out"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}
