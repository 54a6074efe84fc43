use crate::domain::User;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::accounts};

/// The signed-in user, `None` when signed out. Errors only when the database is unreachable.
#[server]
pub async fn current_user() -> Result<Option<User>, AppError> {
    match ctx::user().await {
        Ok((_, u)) => Ok(Some(u)),
        Err(AppError::Unauthorized | AppError::SetupRequired) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the top bar shows: the signed-in user and how many of their action items are overdue, in one
/// call. A failed count shows as none.
#[server]
pub async fn top_bar() -> Result<Option<(User, i64)>, AppError> {
    let Some(user) = current_user().await? else { return Ok(None) };
    let overdue = crate::server::actions::overdue_count(&ctx::state()?.pool, &user).await.unwrap_or(0);
    Ok(Some((user, overdue)))
}

/// What the sign-in page offers: the single sign-on button's words (when it is set up) and whether
/// passwords are accepted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignInChoices {
    pub sso: Option<String>,
    pub passwords: bool,
}

#[server]
pub async fn login_options() -> Result<SignInChoices, AppError> {
    let state = ctx::state()?;
    let passwords = accounts::local_passwords_on(&state.pool).await?;
    Ok(SignInChoices { sso: state.sso.as_ref().map(|s| s.label().to_string()), passwords })
}

/// Admins turn password sign-in off (once single sign-on is set up) or on.
#[server]
pub async fn set_local_passwords(on: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    accounts::set_local_passwords(&state.pool, Some(&user), on == "on", state.sso.is_some()).await
}

#[server]
pub async fn needs_setup() -> Result<bool, AppError> {
    accounts::needs_setup(&ctx::state()?.pool).await
}

/// First run: creates the first admin and signs them in.
#[server]
pub async fn create_first_admin(
    email: String,
    name: String,
    password: String,
    time_zone: Option<String>,
) -> Result<(), AppError> {
    let state = ctx::state()?;
    let n = accounts::NewUser {
        email: &email,
        name: &name,
        role: "admin",
        password: &password,
        time_zone: time_zone.as_deref(),
        team: None,
    };
    let user = accounts::create_first_admin(&state.pool, n)
        .await
        .map_err(|e| e.with_values([("email", email.as_str()), ("name", name.as_str())]))?;
    accounts::start_session(&state.pool, &ctx::session().await?, user, &ctx::client().await).await?;
    leptos_axum::redirect("/incidents");
    Ok(())
}

#[server]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
    time_zone: Option<String>,
) -> Result<(), AppError> {
    let state = ctx::state()?;
    let session = ctx::session().await?;
    // Without an address (no connect info) only the per-account limit applies.
    let client = ctx::client().await;
    let user = match accounts::sign_in(&state.pool, &session, &email, &password, &client).await {
        Ok(user) => user,
        Err(e) => {
            if let AppError::TooManyRequests { retry_after_secs, .. } = &e {
                too_many_requests(*retry_after_secs).await;
            }
            return Err(e.with_values([("email", email.as_str())]));
        }
    };
    // Adopt the browser's zone the first time, so times read locally without a settings visit.
    if let (Some(tz), "UTC") = (time_zone.as_deref().filter(|t| !t.is_empty()), user.time_zone.as_str()) {
        let _ = accounts::set_time_zone(&state.pool, &user, tz).await;
    }
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// A refused sign-in answers 429 with `Retry-After`. A plain form post (no JavaScript) keeps its
/// redirect back to the form, which shows the message, and gets only the header.
#[cfg(feature = "ssr")]
async fn too_many_requests(retry_after_secs: u64) {
    use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else { return };
    res.insert_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    let headers = leptos_axum::extract::<HeaderMap>().await.unwrap_or_default();
    let form_post = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if !form_post {
        res.set_status(StatusCode::TOO_MANY_REQUESTS);
    }
}

/// Only same-site paths: `?next=https://evil.example` must not turn sign-in into an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if crate::domain::redirect::is_local_path(n) => n.to_string(),
        _ => "/incidents".to_string(),
    }
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    let state = ctx::state()?;
    accounts::sign_out(&state.pool, &ctx::session().await?, &ctx::client().await).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server]
pub async fn list_users(q: Option<String>) -> Result<(Vec<User>, i64), AppError> {
    let (state, user) = ctx::user().await?;
    accounts::list_users(&state.pool, &user, q.as_deref()).await
}

#[server]
pub async fn add_user(
    email: String,
    name: String,
    role: String,
    password: String,
    team: Option<String>,
) -> Result<User, AppError> {
    let (state, user) = ctx::user().await?;
    let team = team.unwrap_or_default();
    let n = accounts::NewUser {
        email: &email,
        name: &name,
        role: &role,
        password: &password,
        time_zone: None,
        team: Some(&team),
    };
    accounts::add_user(&state.pool, &user, n).await.map_err(|e| {
        e.with_values([("email", email.as_str()), ("name", name.as_str()), ("role", role.as_str()), ("team", &team)])
    })
}

#[server]
pub async fn set_user_team(user_id: i64, team: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let team = team.unwrap_or_default();
    accounts::set_team(&state.pool, &user, user_id, &team).await.map_err(|e| e.with_values([("team", team.as_str())]))
}

#[server]
pub async fn save_profile(time_zone: String, team: Option<String>, reminders: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let team = team.unwrap_or_default();
    accounts::save_profile(&state.pool, &user, &time_zone, &team, reminders.is_some())
        .await
        .map_err(|e| e.with_values([("time_zone", time_zone.as_str()), ("team", team.as_str())]))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_never_an_open_redirect() {
        assert_eq!(safe_next(Some("/incidents/INC-4")), "/incidents/INC-4");
        assert_eq!(safe_next(Some("https://evil.example")), "/incidents");
        assert_eq!(safe_next(Some("//evil.example")), "/incidents");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/incidents");
        assert_eq!(safe_next(Some("/%0A")), "/incidents");
        assert_eq!(safe_next(Some("/incidents?status=resolved")), "/incidents?status=resolved");
        assert_eq!(safe_next(None), "/incidents");
    }
}
