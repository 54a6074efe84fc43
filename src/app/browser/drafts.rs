//! Unsaved text lives in the browser's storage until it is saved, so a closed tab, a reload or a
//! dropped network keeps what was typed. A draft remembers the version it started from, so saving
//! it can still detect someone else's change.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{closure::Closure, JsCast};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Draft {
    pub version: i32,
    pub body: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn key(incident: i64, section: &str) -> String {
    format!("debrief:draft:{incident}:{section}")
}

pub fn load_draft(incident: i64, section: &str) -> Option<Draft> {
    serde_json::from_str(&storage()?.get_item(&key(incident, section)).ok()??).ok()
}

pub fn store_draft(incident: i64, section: &str, draft: &Draft) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(draft)) {
        let _ = s.set_item(&key(incident, section), &json);
    }
}

pub fn clear_draft(incident: i64, section: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(incident, section));
    }
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Sets the value of the input or text area with this id.
pub fn set_field(id: &str, value: &str) {
    match element(id) {
        Some(el) if el.is_instance_of::<web_sys::HtmlTextAreaElement>() => {
            el.unchecked_into::<web_sys::HtmlTextAreaElement>().set_value(value)
        }
        Some(el) if el.is_instance_of::<web_sys::HtmlInputElement>() => {
            el.unchecked_into::<web_sys::HtmlInputElement>().set_value(value)
        }
        _ => {}
    }
}

/// The text of the input or text area with this id.
pub fn field_text(id: &str) -> String {
    match element(id) {
        Some(el) if el.is_instance_of::<web_sys::HtmlTextAreaElement>() => {
            el.unchecked_into::<web_sys::HtmlTextAreaElement>().value()
        }
        Some(el) if el.is_instance_of::<web_sys::HtmlInputElement>() => {
            el.unchecked_into::<web_sys::HtmlInputElement>().value()
        }
        _ => String::new(),
    }
}

/// Calls `on_input` with the text area's text on every change.
pub fn follow_typing(id: &str, on_input: impl Fn(String) + 'static) {
    let Some(area) = element(id).and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) else { return };
    let target = area.clone();
    let handler = Closure::<dyn Fn()>::new(move || on_input(target.value()));
    let _ = area.add_event_listener_with_callback("input", handler.as_ref().unchecked_ref());
    // The listener lives as long as the element; the page owns both.
    handler.forget();
}
