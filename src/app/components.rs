//! Small pieces shared by the pages.

use crate::domain::{IncidentStatus, Severity, Stamp};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// What a page shows when its data could not be loaded.
#[component]
pub fn Failure(error: AppError) -> impl IntoView {
    // An error page is where the server builds a response from the error.
    error.log();
    let location = use_location();
    match error {
        AppError::Unauthorized => {
            // `search` comes without its leading `?`.
            let search = location.search.get_untracked();
            let path = location.pathname.get_untracked();
            let here = if search.is_empty() { path } else { format!("{path}?{search}") };
            let next = js_safe_encode(&here);
            view! { <Redirect path=format!("/login?next={next}")/> }.into_any()
        }
        AppError::SetupRequired => view! { <Redirect path="/setup"/> }.into_any(),
        AppError::Unavailable(message) => {
            set_status(503);
            view! {
            // Retry by itself: responders should not have to keep pressing reload during an outage.
            <Meta http_equiv="refresh" content="5"/>
            <div class="notice error" role="alert">
                <h1>"Debrief cannot reach its database"</h1>
                <p>{message}</p>
                <p>"This page retries every 5 seconds."</p>
            </div>
            }
            .into_any()
        }
        AppError::NotFound(message) => {
            set_status(404);
            view! {
                <div class="notice" role="alert">
                    <h1>"Not found"</h1>
                    <p>{message}</p>
                    <p><a href="/incidents">"All incidents"</a></p>
                </div>
            }
            .into_any()
        }
        AppError::Forbidden(message) => {
            set_status(403);
            view! { <div class="notice error" role="alert"><h1>"Not allowed"</h1><p>{message}</p></div> }.into_any()
        }
        other => view! { <div class="notice error" role="alert"><p>{other.to_string()}</p></div> }.into_any(),
    }
}

/// Sends a signed-out visitor to sign in, for pages that load no data of their own (those that do
/// get the same from their data's `Unauthorized`).
#[component]
pub fn RequireSignIn() -> impl IntoView {
    let me = Resource::new(|| (), |_| crate::api::auth::current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(_)) => ().into_any(),
                    Ok(None) => view! { <Failure error=AppError::Unauthorized/> }.into_any(),
                    Err(e) => view! { <Failure error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// "Showing n of total" and, when there is more, a link to the next page that keeps the filters.
#[component]
pub fn PageLinks(shown: usize, total: i64, next: Option<String>) -> impl IntoView {
    let location = use_location();
    let href = next.map(|cursor| {
        let search = location.search.get_untracked();
        let kept = search.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="));
        let query: Vec<String> = kept.map(str::to_string).chain([format!("cursor={cursor}")]).collect();
        format!("{}?{}", location.pathname.get_untracked(), query.join("&"))
    });
    view! {
        <p class="hint paging" data-testid="paging">
            {format!("Showing {shown} of {total}")}
            {href.map(|h| view! { " · " <a href=h rel="next">"Next page"</a> })}
        </p>
    }
}

/// Sets the HTTP status of a server-rendered page; nothing to do in the browser.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(opts), Ok(status)) =
        (use_context::<leptos_axum::ResponseOptions>(), axum::http::StatusCode::from_u16(code))
    {
        opts.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

fn js_safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The form-level message of a failed action, if any.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = match &e {
                AppError::Invalid { fields, message, .. } if fields.len() > 1 => message.clone(),
                AppError::Invalid { fields, .. } if fields.len() == 1 => String::new(),
                other => other.to_string(),
            };
            (!text.is_empty()).then(|| view! { <p class="form-error" role="alert">{text}</p> })
        })
    }
}

/// A field's own message, tied to the field for screen readers by `id`.
#[component]
pub fn FieldError(#[prop(into)] error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.field(field)).map(|m| {
            view! { <p class="field-error" id=format!("{field}-error") role="alert">{m}</p> }
        })
    }
}

/// What the user typed into `field` before a failed submit (also after a no-JavaScript round trip).
pub fn typed(error: Signal<Option<AppError>>, field: &'static str) -> impl Fn() -> String + Send + Sync + Copy {
    move || error.get().and_then(|e| e.value(field)).unwrap_or_default()
}

/// Text for elements the renderer writes unescaped because it treats them as raw text: `<textarea>`
/// children and the `<title>`. On the server it is escaped here, or a stored `</textarea><script>` would
/// run in every reader's browser; in the browser such text is set through the DOM, never parsed.
pub fn raw_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    text
}

/// An instant in UTC and in the reader's zone, both with the full date.
#[component]
pub fn When(stamp: Stamp) -> impl IntoView {
    view! {
        <span class="when">
            <time datetime=stamp.iso.clone()>{stamp.utc}</time>
            <span class="local">{stamp.local}</span>
        </span>
    }
}

#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    view! {
        <span class=format!("badge sev sev{}", severity.as_str().trim_start_matches("SEV")) title=severity.meaning()>
            {severity.as_str()}
        </span>
    }
}

#[component]
pub fn StatusBadge(status: IncidentStatus) -> impl IntoView {
    view! { <span class=format!("badge status {}", status.as_str()) data-testid="status">{status.label()}</span> }
}

/// Fills hidden `time_zone` inputs with the browser's zone (no effect without JavaScript).
pub const TIME_ZONE_SCRIPT: &str = "document.querySelectorAll('input[name=time_zone]').forEach(function(i){\
if(!i.value){try{i.value=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){}}})";

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn raw_text_cannot_close_its_element() {
        assert_eq!(super::raw_text("a & b </textarea><script>".into()), "a &amp; b &lt;/textarea&gt;&lt;script&gt;");
    }
}

/// The settings pages, one link each (the main bar keeps a single "Settings").
#[component]
pub fn SettingsNav() -> impl IntoView {
    view! {
        <nav class="subnav" aria-label="Settings">
            <a href="/settings/template">"Publishing, sign-in and template"</a>
            <a href="/settings/integrations">"Integrations and alert rules"</a>
            <a href="/settings/notifications">"Notifications"</a>
            <a href="/settings/status">"Status page"</a>
        </nav>
    }
}
