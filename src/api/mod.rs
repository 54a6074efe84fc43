//! Server functions (called by the pages, with or without JavaScript) and the REST API.
//! Both are thin: find the user and state, call one function in `server::`, return its result.

pub mod actions;
pub mod auth;
pub mod incidents;
pub mod postmortems;
#[cfg(feature = "ssr")]
pub mod rest;

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

    /// The signed-in user with the state; Unauthorized (or SetupRequired) otherwise.
    pub async fn user() -> Result<(AppState, User), AppError> {
        let state = state()?;
        let cache = use_context::<RequestUser>();
        if let Some(user) = cache.as_ref().and_then(|c| c.0.lock().ok().and_then(|g| g.clone())) {
            return Ok((state, user));
        }
        let user = accounts::session_user(&state.pool, &session().await?).await?;
        if let Some(Ok(mut slot)) = cache.as_ref().map(|c| c.0.lock()) {
            *slot = Some(user.clone());
        }
        Ok((state, user))
    }
}
