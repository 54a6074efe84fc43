use crate::domain::postmortem::{Postmortem, Revision, TemplateSection};
use crate::domain::{diff::DiffLine, Incident, User};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::ctx,
    crate::domain::parse_incident_ref,
    crate::server::{incidents, markdown, postmortems as ops},
};

/// What the postmortem page shows: the incident, the write-up (if started) and each section's
/// saved text rendered to sanitised HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostmortemPage {
    pub incident: Incident,
    pub postmortem: Option<Postmortem>,
    pub rendered: Vec<String>,
    pub me: User,
    /// Everyone who could review.
    pub users: Vec<crate::domain::UserRef>,
}

#[cfg(feature = "ssr")]
fn id_of(reference: &str) -> Result<i64, AppError> {
    parse_incident_ref(reference).ok_or_else(|| AppError::NotFound(format!("There is no incident {reference}")))
}

#[server]
pub async fn get_postmortem_page(reference: String) -> Result<PostmortemPage, AppError> {
    let (state, me) = ctx::user().await?;
    let id = id_of(&reference)?;
    let incident = incidents::get(&state.pool, id).await?;
    let postmortem = match ops::get(&state.pool, id).await {
        Ok(pm) => Some(pm),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let rendered = postmortem.iter().flat_map(|pm| pm.sections.iter().map(|s| markdown::render(&s.body))).collect();
    let users = crate::server::db::users::writers(&state.pool).await?;
    Ok(PostmortemPage { incident, postmortem, rendered, me, users })
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

/// What the preview shows while writing: the rendered text and its blameless-language hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub html: String,
    pub flags: Vec<crate::domain::blameless::BlamelessFlag>,
}

/// Renders Markdown exactly as the page will show it and checks its wording, for the live preview.
#[server]
pub async fn preview_markdown(body: String) -> Result<Preview, AppError> {
    let (state, _) = ctx::user().await?;
    let names: Vec<String> = crate::server::db::users::refs(&state.pool).await?.into_iter().map(|u| u.name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(Preview { html: markdown::render(&body), flags: crate::domain::blameless::check(&body, &names) })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub incident: Incident,
    pub title: String,
    pub revisions: Vec<Revision>,
    /// The diff between the two chosen versions (older first), when both exist.
    pub diff: Option<(i32, i32, Vec<DiffLine>)>,
}

#[server]
pub async fn section_history(
    reference: String,
    key: String,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<HistoryPage, AppError> {
    let (state, _) = ctx::user().await?;
    let id = id_of(&reference)?;
    let incident = incidents::get(&state.pool, id).await?;
    let pm = ops::get(&state.pool, id).await?;
    let title = pm.sections.iter().find(|s| s.key == key).map(|s| s.title.clone()).unwrap_or_else(|| key.clone());
    let revisions = ops::revisions(&state.pool, id, &key).await?;
    // Default: the latest change against the one before it.
    let to = to.or_else(|| revisions.first().map(|r| r.version));
    let from = from.or_else(|| to.map(|t| t - 1));
    let body_at = |v: Option<i32>| match v {
        Some(0) => Some(String::new()),
        Some(v) => revisions.iter().find(|r| r.version == v).map(|r| r.body.clone()),
        None => None,
    };
    let diff = match (from, to, body_at(from), body_at(to)) {
        // CPU-bound on long sections: off the async workers.
        (Some(f), Some(t), Some(a), Some(b)) => {
            let lines = tokio::task::spawn_blocking(move || crate::domain::diff::diff_lines(&a, &b)).await;
            Some((f, t, lines.map_err(crate::error::internal)?))
        }
        _ => None,
    };
    Ok(HistoryPage { incident, title, revisions, diff })
}

#[server]
pub async fn get_template() -> Result<Vec<TemplateSection>, AppError> {
    let (state, user) = ctx::user().await?;
    crate::server::accounts::require_admin(&user)?;
    ops::template(&state.pool).await
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

/// Sends the write-up to review; `reviewers` are user ids (checkboxes), none meaning admins review.
#[server]
pub async fn submit_postmortem(id: i64, reviewers: Option<Vec<String>>) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let ids = reviewers
        .unwrap_or_default()
        .iter()
        .map(|r| r.parse::<i64>().map_err(|_| AppError::invalid("reviewers", "Choose reviewers from the list")))
        .collect::<Result<Vec<_>, _>>()?;
    ops::submit(&state.pool, &user, id, &ids).await?;
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
pub async fn publish_postmortem(id: i64) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    ops::publish(&state.pool, &user, id).await?;
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
) -> Result<Vec<crate::domain::postmortem::LibraryEntry>, AppError> {
    let (state, _) = ctx::user().await?;
    ops::library(&state.pool, &ops::LibraryQuery { q, severity, service, month }).await
}

#[server]
pub async fn get_publication(reference: String) -> Result<crate::domain::postmortem::Publication, AppError> {
    let (state, _) = ctx::user().await?;
    ops::publication(&state.pool, id_of(&reference)?).await
}

#[server]
pub async fn get_settings() -> Result<(String, String), AppError> {
    let (state, user) = ctx::user().await?;
    crate::server::accounts::require_admin(&user)?;
    let s = crate::server::webhook::settings(&state.pool).await?;
    Ok((s.webhook_url, s.public_url))
}

#[server]
pub async fn save_settings(webhook_url: String, public_url: String) -> Result<(), AppError> {
    let (state, user) = ctx::user().await?;
    let s = crate::server::webhook::Settings { webhook_url: webhook_url.clone(), public_url: public_url.clone() };
    crate::server::webhook::save_settings(&state.pool, &user, &s)
        .await
        .map_err(|e| e.with_values([("webhook_url", webhook_url.as_str()), ("public_url", public_url.as_str())]))?;
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
