use super::live::Live;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

/// Shared by every request. Cheap to clone; holds no per-request state.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    /// The content-hashed names of the bundle and the stylesheet.
    pub assets: super::assets::Assets,
    pub live: Live,
    /// Signs the form state a no-JavaScript round trip carries in the address.
    pub form_key: super::form_state::FormKey,
    /// The webhook client and where it may send.
    pub outbound: super::webhook::Outbound,
    /// Single sign-on, when the operator configured an identity provider.
    pub sso: Option<std::sync::Arc<super::sso::Sso>>,
}

/// The signed-in user, looked up once per request: a page's header and body both ask. Put in each
/// request's context by the router; filled by the first server function that asks, while any
/// others asking meanwhile wait for that one lookup.
#[derive(Clone, Default)]
pub struct RequestUser(pub std::sync::Arc<tokio::sync::OnceCell<crate::domain::User>>);
