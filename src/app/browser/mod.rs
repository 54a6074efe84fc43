//! Everything that only happens in a browser, behind plain functions: the pages and islands call
//! these and never touch `web-sys` themselves. On the server each is a no-op twin, so components
//! need no `#[cfg]` of their own.
//!
//! Pages are complete HTML from the server and every form works as a plain POST. With JavaScript,
//! [`enhance_page`] makes them feel like an app without shipping the pages' code to the browser:
//! forms submit in place (the server's answer replaces the parts of the page that changed, and a
//! part holding unsaved typing is left alone), the incident page follows its live stream the same
//! way, and running durations tick.

#[cfg(feature = "hydrate")]
mod drafts;
#[cfg(feature = "hydrate")]
mod enhance;

#[cfg(feature = "hydrate")]
pub use drafts::{clear_draft, field_text, follow_typing, load_draft, set_field, store_draft, Draft};
#[cfg(feature = "hydrate")]
pub use enhance::enhance_page;

#[cfg(not(feature = "hydrate"))]
mod twins {
    /// A draft of a section: the version it started from, and the text.
    #[derive(Clone, Debug)]
    pub struct Draft {
        pub version: i32,
        pub body: String,
    }

    pub fn enhance_page() {}
    pub fn load_draft(_incident: i64, _section: &str) -> Option<Draft> {
        None
    }
    pub fn store_draft(_incident: i64, _section: &str, _draft: &Draft) {}
    pub fn clear_draft(_incident: i64, _section: &str) {}
    pub fn set_field(_id: &str, _value: &str) {}
    pub fn field_text(_id: &str) -> String {
        String::new()
    }
    pub fn follow_typing(_id: &str, _on_input: impl Fn(String) + 'static) {}
}
#[cfg(not(feature = "hydrate"))]
pub use twins::*;
