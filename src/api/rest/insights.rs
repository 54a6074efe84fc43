use super::{ApiQuery, ApiUser};
use crate::domain::validate::given;
use crate::error::{AppError, AppResult};
use crate::server::insights::{self as ops, Insights, Params};
use crate::server::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(serde::Deserialize)]
pub struct InsightsQuery {
    #[serde(flatten)]
    pub params: Params,
    pub format: Option<String>,
    pub rows: Option<String>,
}

/// The figures of a period: per metric and group `{metric, group, count, median_s, p90_s}` (null
/// percentiles under five incidents), incidents per week, the follow-ups, and every incident counted.
#[utoipa::path(
    get,
    operation_id = "insights_figures",
    path = "/insights",
    tag = "insights",
    params(
        Params,
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`"),
        ("rows" = Option<String>, Query, description = "With `format=csv`: `figures` (the default) or `incidents`, one row per incident counted")
    ),
    responses((status = 200, description = "The figures, as JSON or CSV", content((Insights = "application/json"), (String = "text/csv"))))
)]
pub async fn figures(
    State(s): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<InsightsQuery>,
) -> AppResult<Response> {
    export(&s, &user, &q).await
}

/// The answer in the format asked for; shared with the page's downloads.
pub(super) async fn export(s: &AppState, user: &crate::domain::User, q: &InsightsQuery) -> AppResult<Response> {
    let format = given(&q.format).unwrap_or("json");
    let rows = given(&q.rows).unwrap_or("figures");
    let (csv, name): (fn(&Insights) -> String, _) = match rows {
        "figures" => (ops::figures_csv, "debrief-insights.csv"),
        "incidents" => (ops::incidents_csv, "debrief-insights-incidents.csv"),
        other => return Err(AppError::invalid("rows", format!("Unknown rows {other:?}: use figures or incidents"))),
    };
    if !matches!(format, "json" | "csv") {
        return Err(AppError::invalid("format", format!("Unknown format {format:?}: use json or csv")));
    }
    let insights = ops::insights(&s.pool, user, &q.params).await?;
    if format == "json" {
        return Ok(Json(insights).into_response());
    }
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        csv(&insights),
    )
        .into_response())
}
