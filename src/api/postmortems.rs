use crate::domain::postmortem::TemplateSection;
pub use crate::domain::postmortem::{HistoryPage, PostmortemPage, Preview};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::ctx,
    crate::server::{incidents, postmortems as ops},
};

#[server]
pub async fn get_postmortem_page(reference: String) -> Result<PostmortemPage, AppError> {
    let (state, me) = ctx::user().await?;
    ops::page(&state.pool, &me, ctx::incident_id(&reference)?).await
}

#[server]
pub async fn start_postmortem(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::start(&state.pool, &user, id).await?;
    leptos_axum::redirect(&format!("{}/postmortem", crate::domain::incident_url(id)));
    Ok(())
}

/// Saves one section from `version`; a stale version comes back as a Conflict that carries both
/// the current text and the one sent.
#[server]
pub async fn save_postmortem_section(id: i64, key: String, version: i32, body: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let save = ops::SectionSave { body: body.clone(), version: Some(version) };
    ops::save_section(&state.pool, &user, id, &key, save)
        .await
        .map_err(|e| e.with_values([("key", key.as_str()), ("body", body.as_str())]))?;
    Ok(())
}

/// Renders Markdown exactly as the page will show it and checks its wording, for the live preview.
#[server]
pub async fn preview_markdown(body: String) -> Result<Preview, AppError> {
    let (state, me) = ctx::user().await?;
    ops::preview(&state.pool, &me, &body).await
}

#[server]
pub async fn section_history(
    reference: String,
    key: String,
    from: Option<i32>,
    to: Option<i32>,
    cursor: Option<String>,
) -> Result<HistoryPage, AppError> {
    let (state, me) = ctx::user().await?;
    let page = ops::RevisionsQuery { cursor, limit: None };
    ops::history(&state.pool, &me, ctx::incident_id(&reference)?, &key, from, to, &page).await
}

#[server]
pub async fn get_template() -> Result<Vec<TemplateSection>, AppError> {
    let (state, user) = ctx::user().await?;
    ops::template(&state.pool, &user).await
}

/// Saves the template from the settings form: one line per section in `sections`, as
/// `key | title | required (yes/no) | guidance`.
#[server]
pub async fn save_template(sections: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let parsed = crate::domain::postmortem::parse_template_lines(&sections)
        .map_err(|m| AppError::invalid("sections", m).with_values([("sections", sections.as_str())]))?;
    ops::save_template(&state.pool, &user, &parsed).await.map_err(|e| match e {
        AppError::Invalid { fields, .. } => {
            let msg = fields.values().cloned().collect::<Vec<_>>().join("; ");
            AppError::invalid("sections", msg).with_values([("sections", sections.as_str())])
        }
        other => other,
    })?;
    Ok(())
}

/// Sends the write-up to review. `reviewers` is typed: names or emails separated by commas or new
/// lines; none means admins review.
#[server]
pub async fn submit_postmortem(id: i64, reviewers: Option<String>) -> Result<(), AppError> {
    use crate::server::people::Person;
    let (state, user) = ctx::user().await?;
    let typed = reviewers.unwrap_or_default();
    let people: Vec<Person> = typed
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Person::NameOrEmail(s.to_string()))
        .collect();
    ops::submit(&state.pool, &user, id, &people).await.map_err(|e| e.with_values([("reviewers", typed.as_str())]))?;
    Ok(())
}

#[server]
pub async fn approve_postmortem(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::approve(&state.pool, &user, id).await?;
    Ok(())
}

#[server]
pub async fn request_postmortem_changes(id: i64, comment: String, section: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::request_changes(&state.pool, &user, id, section.as_deref(), &comment)
        .await
        .map_err(|e| e.with_values([("comment", comment.as_str())]))?;
    Ok(())
}

#[server]
pub async fn publish_postmortem(id: i64, override_reason: Option<String>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::publish(&state.pool, &user, id, override_reason.as_deref())
        .await
        .map_err(|e| e.with_values([("override_reason", override_reason.as_deref().unwrap_or(""))]))?;
    leptos_axum::redirect(&ops::library_url(id));
    Ok(())
}

#[server]
pub async fn close_incident(id: i64, reason: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    incidents::close_without_postmortem(&state.pool, &user, id, &reason)
        .await
        .map_err(|e| e.with_values([("reason", reason.as_str())]))?;
    Ok(())
}

#[server]
pub async fn list_library(
    q: Option<String>,
    severity: Option<String>,
    service: Option<String>,
    month: Option<String>,
    cursor: Option<String>,
) -> Result<crate::domain::paging::Page<crate::domain::postmortem::LibraryEntry>, AppError> {
    let (state, me) = ctx::user().await?;
    ops::library(&state.pool, &me, &ops::LibraryQuery { q, severity, service, month, cursor, limit: None }).await
}

#[server]
pub async fn get_publication(reference: String) -> Result<crate::domain::postmortem::Publication, AppError> {
    let (state, me) = ctx::user().await?;
    ops::publication(&state.pool, &me, ctx::incident_id(&reference)?).await
}

#[server]
pub async fn get_settings() -> Result<String, AppError> {
    let (state, user) = ctx::user().await?;
    Ok(crate::server::webhook::settings_for(&state.pool, &user).await?.public_url)
}

#[server]
pub async fn save_settings(public_url: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let s = crate::server::webhook::SettingsInput { public_url: public_url.clone(), ..Default::default() };
    crate::server::webhook::save_settings(&state.pool, &user, &s)
        .await
        .map_err(|e| e.with_values([("public_url", public_url.as_str())]))?;
    Ok(())
}

/// Puts a key event in the timeline section (`include` true) or leaves it out.
#[server]
pub async fn toggle_timeline_event(id: i64, event_id: i64, include: bool) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::toggle_timeline_event(&state.pool, &user, id, event_id, include).await?;
    Ok(())
}

#[server]
pub async fn add_contributing_factor(id: i64, factor: String, category: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let input = ops::FactorInput { factor: factor.clone(), category: category.clone() };
    ops::add_factor(&state.pool, &user, id, &input)
        .await
        .map_err(|e| e.with_values([("factor", factor.as_str()), ("category", category.as_str())]))?;
    Ok(())
}

#[server]
pub async fn remove_contributing_factor(id: i64, factor_id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::remove_factor(&state.pool, &user, id, factor_id).await?;
    Ok(())
}
