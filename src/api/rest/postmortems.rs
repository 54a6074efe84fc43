use super::{ApiJson, ApiUser, IncidentId};
use crate::domain::postmortem::{Postmortem, Revision, Section, TemplateSection};
use crate::error::{AppError, AppResult};
use crate::server::postmortems::{self as ops, SectionSave};
use crate::server::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

pub async fn start(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<(StatusCode, Json<Postmortem>)> {
    let (pm, created) = ops::start(&s.pool, &user, id).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(pm)))
}

pub async fn show(State(s): State<AppState>, _: ApiUser, IncidentId(id): IncidentId) -> AppResult<Json<Postmortem>> {
    Ok(Json(ops::get(&s.pool, id).await?))
}

/// The section key is the second path segment after the incident id.
fn section_key(path: &[(String, String)]) -> AppResult<String> {
    path.iter()
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| AppError::NotFound("No such section".into()))
}

pub async fn save_section(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    IncidentId(id): IncidentId,
    Path(path): Path<Vec<(String, String)>>,
    ApiJson(save): ApiJson<SectionSave>,
) -> AppResult<Json<Section>> {
    Ok(Json(ops::save_section(&s.pool, &user, id, &section_key(&path)?, save).await?))
}

pub async fn revisions(
    State(s): State<AppState>,
    _: ApiUser,
    IncidentId(id): IncidentId,
    Path(path): Path<Vec<(String, String)>>,
) -> AppResult<Json<Vec<Revision>>> {
    Ok(Json(ops::revisions(&s.pool, id, &section_key(&path)?).await?))
}

pub async fn markdown(
    State(s): State<AppState>,
    _: ApiUser,
    IncidentId(id): IncidentId,
) -> AppResult<impl IntoResponse> {
    markdown_response(&s, id).await
}

/// `text/markdown`, named after the incident, for the API and the page's download button alike.
pub async fn markdown_response(s: &AppState, id: i64) -> AppResult<impl IntoResponse + use<>> {
    let md = ops::export(&s.pool, id).await?;
    let filename = format!("attachment; filename=\"{}-postmortem.md\"", crate::domain::incident_ref(id));
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, filename)],
        md,
    ))
}

pub async fn template(State(s): State<AppState>, _: ApiUser) -> AppResult<Json<Vec<TemplateSection>>> {
    Ok(Json(ops::template(&s.pool).await?))
}

pub async fn replace_template(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(sections): ApiJson<Vec<TemplateSection>>,
) -> AppResult<Json<Vec<TemplateSection>>> {
    Ok(Json(ops::save_template(&s.pool, &user, &sections).await?))
}
