//! Debrief: blameless incident tracking and postmortems.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
pub mod error;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;

/// A page request allocates thousands of small strings (rendering, rows, compression), and glibc's
/// allocator spent about a sixth of the server's time on them under load; mimalloc's per-thread
/// heaps do not. Declared here so the binary, the tests and the benchmark all run on it.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Only the islands (`app::islands`) come alive; the rest of each page stays server HTML.
    leptos::mount::hydrate_islands();
}
