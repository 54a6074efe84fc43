//! Forms in place, the live stream and ticking durations (see the parent module).
//!
//! A page marks the parts that change with `data-region` (and an `id`). After a form's answer or a
//! live change, the server's new page is fetched and each region is replaced by its new version,
//! unless it holds unsaved typing outside the submitted form; then its inner regions are tried.

use crate::domain::time::{format_duration, incident_duration};
use chrono::{DateTime, Utc};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, Element, Event, HtmlFormElement};

const UNREACHABLE: &str = "Debrief could not be reached. Nothing was lost: try again.";

pub fn enhance_page() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    submit_in_place(&document);
    let live = document.query_selector("[data-live-incident]").ok().flatten();
    if let Some(id) = live.and_then(|e| e.get_attribute("data-live-incident")) {
        follow_live(&id);
    }
    tick_durations();
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

fn submit_in_place(document: &Document) {
    let handler = Closure::<dyn Fn(Event)>::new(|ev: Event| {
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<HtmlFormElement>().ok()) else { return };
        if ev.default_prevented() || !form.method().eq_ignore_ascii_case("post") || !same_origin(&form.action()) {
            return;
        }
        ev.prevent_default();
        // A second press while the first is on its way is the same submission.
        if form.has_attribute("aria-busy") {
            return;
        }
        let _ = form.set_attribute("aria-busy", "true");
        spawn_local(submit(form));
    });
    let _ = document.add_event_listener_with_callback("submit", handler.as_ref().unchecked_ref());
    handler.forget();
}

async fn submit(form: HtmlFormElement) {
    let answer = post(&form).await;
    let _ = form.remove_attribute("aria-busy");
    match answer {
        Ok((url, html)) if same_path(&url) => swap_page(&html, Some(&form)),
        // Somewhere else (a new incident, signing in): go there.
        Ok((url, _)) => {
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign(&url);
            }
        }
        Err(message) => show_problem(&form, &message),
    }
}

/// The form as a browser without JavaScript would send it; the server answers with a redirect to
/// the page to show (the same page, with any errors and what was typed).
async fn post(form: &HtmlFormElement) -> Result<(String, String), String> {
    let data = web_sys::FormData::new_with_form(form).map_err(|_| "The form could not be read.".to_string())?;
    let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data)
        .map_err(|_| "The form could not be read.".to_string())?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body);
    fetch_page(&form.action(), &init).await
}

/// GETs or POSTs for a page: its final address and its HTML.
async fn fetch_page(url: &str, init: &web_sys::RequestInit) -> Result<(String, String), String> {
    let window = web_sys::window().ok_or(UNREACHABLE)?;
    let headers = web_sys::Headers::new().map_err(|_| UNREACHABLE)?;
    let _ = headers.set("Accept", "text/html");
    init.set_headers(&headers);
    let res = JsFuture::from(window.fetch_with_str_and_init(url, init)).await.map_err(|_| UNREACHABLE)?;
    let res: web_sys::Response = res.dyn_into().map_err(|_| UNREACHABLE)?;
    let text = JsFuture::from(res.text().map_err(|_| UNREACHABLE)?).await.map_err(|_| UNREACHABLE)?;
    if !res.ok() {
        return Err(format!("Debrief answered {} {}. Nothing was lost: try again.", res.status(), res.status_text()));
    }
    Ok((res.url(), text.as_string().unwrap_or_default()))
}

fn same_origin(url: &str) -> bool {
    let here = web_sys::window().and_then(|w| w.location().origin().ok());
    web_sys::Url::new(url).ok().map(|u| u.origin()) == here
}

fn same_path(url: &str) -> bool {
    let here = web_sys::window().and_then(|w| w.location().pathname().ok());
    web_sys::Url::new(url).ok().map(|u| u.pathname()) == here
}

/// A message at the top of the form, for when no answer came.
fn show_problem(form: &HtmlFormElement, message: &str) {
    let Some(document) = form.owner_document() else { return };
    let shown = form.query_selector("[data-problem]").ok().flatten();
    let Some(p) = shown.or_else(|| document.create_element("p").ok()) else { return };
    let _ = p.set_attribute("class", "form-error");
    let _ = p.set_attribute("role", "alert");
    let _ = p.set_attribute("data-problem", "");
    p.set_text_content(Some(message));
    let _ = form.prepend_with_node_1(&p);
}

/// Replaces the page's regions with those of `html`, keeping unsaved typing.
fn swap_page(html: &str, submitted: Option<&HtmlFormElement>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(parser) = web_sys::DomParser::new() else { return };
    let Ok(fresh) = parser.parse_from_string(html, web_sys::SupportedType::TextHtml) else { return };
    document.set_title(&fresh.title());
    let focused = document.active_element().map(|e| e.id()).filter(|id| !id.is_empty());
    for old in outermost(&document, None) {
        swap_region(&document, &fresh, &old, submitted);
    }
    // The field one was in (the note field, after Enter) keeps the focus in its new version.
    let lost = document.active_element().is_none_or(|e| document.body().is_some_and(|b| *b == e));
    if let (true, Some(id)) = (lost, focused) {
        if let Some(el) = document.get_element_by_id(&id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }
}

/// The regions inside `within` (the whole page when `None`) that no other region there encloses.
fn outermost(document: &Document, within: Option<&Element>) -> Vec<Element> {
    let found = match within {
        Some(e) => e.query_selector_all("[data-region]"),
        None => document.query_selector_all("[data-region]"),
    };
    let Ok(found) = found else { return Vec::new() };
    (0..found.length())
        .filter_map(|i| found.item(i).and_then(|n| n.dyn_into::<Element>().ok()))
        .filter(|e| enclosing_region(e).as_ref() == within)
        .collect()
}

fn enclosing_region(e: &Element) -> Option<Element> {
    e.parent_element().and_then(|p| p.closest("[data-region]").ok().flatten())
}

fn swap_region(document: &Document, fresh: &Document, old: &Element, submitted: Option<&HtmlFormElement>) {
    let Some(new) = fresh.get_element_by_id(&old.id()) else { return };
    if !unsaved(document, old, submitted) {
        replace(document, old, &new);
        return;
    }
    for inner in outermost(document, Some(old)) {
        swap_region(document, fresh, &inner, submitted);
    }
    // The submitted form itself, when it sits directly in this region.
    if let Some(form) = submitted.filter(|f| f.is_connected() && !f.id().is_empty()) {
        if enclosing_region(form).as_ref() == Some(old) {
            if let Some(new_form) = fresh.get_element_by_id(&form.id()) {
                replace(document, form, &new_form);
            }
        }
    }
}

/// Whether replacing `region` would lose typing: a changed or focused field outside `submitted`.
fn unsaved(document: &Document, region: &Element, submitted: Option<&HtmlFormElement>) -> bool {
    let Ok(fields) = region.query_selector_all("input, textarea, select") else { return false };
    let focused = document.active_element();
    (0..fields.length()).filter_map(|i| fields.item(i).and_then(|n| n.dyn_into::<Element>().ok())).any(|f| {
        let in_submitted = submitted.is_some_and(|s| s.contains(Some(&f)));
        !in_submitted && (changed(&f) || (focused.as_ref() == Some(&f) && typed_into(&f)))
    })
}

fn typed_into(f: &Element) -> bool {
    match f.dyn_ref::<web_sys::HtmlInputElement>() {
        Some(i) => !matches!(i.type_().as_str(), "hidden" | "submit" | "button" | "checkbox" | "radio"),
        None => true,
    }
}

fn changed(f: &Element) -> bool {
    if let Some(i) = f.dyn_ref::<web_sys::HtmlInputElement>() {
        return match i.type_().as_str() {
            "hidden" | "submit" | "button" => false,
            "checkbox" | "radio" => i.checked() != i.default_checked(),
            _ => i.value() != i.default_value(),
        };
    }
    if let Some(t) = f.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return t.default_value().is_ok_and(|d| t.value() != d);
    }
    if let Some(s) = f.dyn_ref::<web_sys::HtmlSelectElement>() {
        let options = s.options();
        let options: Vec<web_sys::HtmlOptionElement> = (0..options.length())
            .filter_map(|i| options.item(i).and_then(|o| o.dyn_into::<web_sys::HtmlOptionElement>().ok()))
            .collect();
        if s.multiple() {
            return options.iter().any(|o| o.selected() != o.default_selected());
        }
        // With no option marked, a single choice starts at the first one.
        let default = options.iter().position(|o| o.default_selected()).unwrap_or(0);
        return s.selected_index() != default as i32;
    }
    false
}

fn replace(document: &Document, old: &Element, new: &Element) {
    let Ok(node) = document.import_node_with_deep(new, true) else { return };
    // An opened disclosure stays open.
    let mut open: Vec<String> = old
        .query_selector_all("details[open][id]")
        .map(|l| (0..l.length()).filter_map(|i| l.item(i)?.dyn_into::<Element>().ok().map(|e| e.id())).collect())
        .unwrap_or_default();
    if old.matches("details[open][id]").unwrap_or(false) {
        open.push(old.id());
    }
    if old.replace_with_with_node_1(&node).is_err() {
        return;
    }
    for id in open {
        if let Some(d) = document.get_element_by_id(&id) {
            let _ = d.set_attribute("open", "");
        }
    }
    if let Ok(el) = node.dyn_into::<Element>() {
        hydrate_islands(&el);
    }
}

/// New content may hold islands (a section's draft keeper): Leptos's loader hydrates them.
fn hydrate_islands(root: &Element) {
    let Some(window) = web_sys::window() else { return };
    let hydrate = js_sys::Reflect::get(&window, &JsValue::from_str("__hydrateIsland")).ok();
    let Some(hydrate) = hydrate.and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else { return };
    let Ok(islands) = root.query_selector_all("leptos-island") else { return };
    for island in (0..islands.length()).filter_map(|i| islands.item(i)) {
        let name = island.dyn_ref::<Element>().and_then(|e| e.get_attribute("data-component")).unwrap_or_default();
        let _ = hydrate.call2(&JsValue::NULL, &island, &JsValue::from_str(&name));
    }
}

/// Follows the incident's Server-Sent Events: each change brings the page's new regions. Changes
/// that arrive while one is being fetched are gathered into one more fetch.
fn follow_live(id: &str) {
    let Ok(stream) = web_sys::EventSource::new(&format!("/live/incidents/{id}")) else { return };
    // 0: idle, 1: fetching, 2: fetching and another change came.
    let state = Rc::new(Cell::new(0u8));
    let on_change = Closure::<dyn Fn()>::new(move || {
        let state = state.clone();
        if state.get() > 0 {
            state.set(2);
            return;
        }
        state.set(1);
        spawn_local(async move {
            loop {
                let here = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
                if let Ok((_, html)) = fetch_page(&here, &web_sys::RequestInit::new()).await {
                    swap_page(&html, None);
                }
                if state.get() == 2 {
                    state.set(1);
                    continue;
                }
                state.set(0);
                break;
            }
        });
    });
    let _ = stream.add_event_listener_with_callback("changed", on_change.as_ref().unchecked_ref());
    on_change.forget();
}

/// Elements with `data-since` (and maybe `data-until`, both RFC 3339) show a duration that ticks.
fn tick_durations() {
    let Some(window) = web_sys::window() else { return };
    let tick = Closure::<dyn Fn()>::new(|| {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let Ok(clocks) = document.query_selector_all("[data-since]") else { return };
        let now = Utc::now();
        for el in (0..clocks.length()).filter_map(|i| clocks.item(i)?.dyn_into::<Element>().ok()) {
            let at = |name| el.get_attribute(name).and_then(|v| DateTime::parse_from_rfc3339(&v).ok());
            if let Some(since) = at("data-since") {
                let until = at("data-until").map(|u| u.with_timezone(&Utc));
                el.set_text_content(Some(&format_duration(incident_duration(since.with_timezone(&Utc), until, now))));
            }
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 1000);
    tick.forget();
}
