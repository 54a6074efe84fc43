//! Server functions (called by the pages, with or without JavaScript) and the REST API.
//! Both are thin: find the user and state, call one function in `server::`, return its result.

pub mod actions;
pub mod auth;
pub mod incidents;
pub mod insights;
pub mod integrations;
pub mod notifications;
pub mod people;
pub mod postmortems;
pub mod reference;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod status;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use crate::domain::User;
    use crate::error::{internal, AppError};
    use crate::server::{accounts, AppState, RequestUser};
    use leptos::prelude::*;
    use tower_sessions::Session;

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| internal("AppState missing from context"))
    }

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(internal)
    }

    /// The browser this request came from: its address (the TCP peer) and user agent.
    pub async fn client() -> accounts::Client {
        use axum::extract::ConnectInfo;
        // Missing only if the server was not started with connect info.
        let address = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>().await.ok().map(|c| c.0.ip());
        accounts::Client::new(address, &leptos_axum::extract::<axum::http::HeaderMap>().await.unwrap_or_default())
    }

    /// The signed-in user with the state; Unauthorized (or SetupRequired) otherwise.
    pub async fn user() -> Result<(AppState, User), AppError> {
        let state = state()?;
        let lookup = || async { accounts::session_user(&state.pool, &session().await?, &client().await).await };
        let user = match use_context::<RequestUser>() {
            // A page's parts ask at the same time: the first looks the user up, the others wait for it.
            Some(cache) => cache.0.get_or_try_init(lookup).await?.clone(),
            None => lookup().await?,
        };
        Ok((state, user))
    }

    /// The signed-in user, or none for a page that may also be read signed out.
    pub async fn maybe_user() -> Result<(AppState, Option<User>), AppError> {
        match user().await {
            Ok((state, user)) => Ok((state, Some(user))),
            Err(AppError::Unauthorized | AppError::SetupRequired) => Ok((state()?, None)),
            Err(e) => Err(e),
        }
    }

    /// The incident a page's `INC-12` names; anything else is the same 404 as a missing incident.
    pub fn incident_id(reference: &str) -> Result<i64, AppError> {
        crate::domain::parse_incident_ref(reference).ok_or_else(|| AppError::no_incident(reference))
    }
}

/// Server functions answer every error with 500 (server_fn's default). This gives each the status
/// of its `AppError`, so a 404 or 403 counts as one in logs, proxies and metrics. The body is left
/// as it is: clients decode any 4xx or 5xx answer as the error it carries.
#[cfg(feature = "ssr")]
pub async fn server_fn_status(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::StatusCode;
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Error bodies are small; one past this limit keeps its 500.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Some(status) = serde_json::from_slice::<crate::error::AppError>(&bytes)
        .ok()
        .and_then(|e| StatusCode::from_u16(e.status()).ok())
    {
        parts.status = status;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}
