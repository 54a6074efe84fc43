//! The UI: shell, routes and layout. Every page is server-rendered complete (SsrMode::Async), so it
//! works without JavaScript; with it, the page hydrates and forms submit in place.

pub mod components;
pub mod pages;

use crate::api::auth::{top_bar, SignOut};
use components::raw_text;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};
use pages::*;

/// The document around the app, rendered on the server only (the browser hydrates `App`).
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
                <HydrationScripts options/>
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
    // Marks the page once the WASM has taken over, so scripts and tests can tell hydrated from not.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    #[cfg(feature = "hydrate")]
    drop_form_state_from_links();
    view! {
        <Title formatter=|t: String| raw_text(if t.is_empty() { "Debrief".to_string() } else { format!("{t} · Debrief") })/>
        <Router>
            <Header/>
            <main id="main">
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
                    <Route path=path!("/library") view=LibraryPage ssr=SsrMode::Async/>
                    <Route path=path!("/library/:reference") view=PublishedPage ssr=SsrMode::Async/>
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// The router follows in-app links without asking the server, which is where form state in an
/// address is verified (`server::form_state`); so a link (one in a write-up, say) loses any before
/// the router, listening after this capture-phase handler, reads it.
#[cfg(feature = "hydrate")]
fn drop_form_state_from_links() {
    use wasm_bindgen::{closure::Closure, JsCast};
    let handler = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten());
        let (Some(link), Ok(here)) = (link, window().location().href()) else { return };
        let Some(url) = link.get_attribute("href").and_then(|h| web_sys::Url::new_with_base(&h, &here).ok()) else {
            return;
        };
        let params = url.search_params();
        let keys = ["__path", "__err", "__mac"];
        if keys.iter().any(|k| params.has(k)) {
            keys.iter().for_each(|k| params.delete(k));
            let _ = link.set_attribute("href", &url.href());
        }
    });
    let _ = window().add_event_listener_with_callback_and_bool("click", handler.as_ref().unchecked_ref(), true);
    handler.forget();
}

#[component]
fn Header() -> impl IntoView {
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    // Re-read on navigation, so signing in or out shows at once.
    let me = Resource::new(move || (location.pathname.get(), sign_out.version().get()), |_| top_bar());
    view! {
        <header class="topbar">
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
                                    {admin.then(|| view! { <A href="/users">"Users"</A> <A href="/settings/template">"Settings"</A> })}
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
