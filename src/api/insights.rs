//! The insights page's data: the figures with their charts drawn on the server.

use crate::domain::insights::InsightsView;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn insights(
    from: Option<String>,
    to: Option<String>,
    severity: Option<String>,
    service: Option<String>,
    team: Option<String>,
) -> Result<InsightsView, AppError> {
    let (state, user) = super::ctx::user().await?;
    let p = crate::server::insights::Params { from, to, severity, service, team };
    let i = crate::server::insights::insights(&state.pool, &user, &p).await?;
    crate::server::insights::view(i)
}
