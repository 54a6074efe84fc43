//! Postmortem operations: the template, starting a write-up, saving sections with optimistic
//! concurrency and history, blameless checks and the Markdown export.

use super::access::{self, see_incident};
use super::db;
use super::people::Person;
use crate::domain::accounts::AuditAction;
use crate::domain::blameless;
use crate::domain::export::{export_markdown, ExportInput};
use crate::domain::paging::Page;
use crate::domain::postmortem::*;
use crate::domain::{User, UserRef};
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use sqlx::PgPool;

const TEMPLATE_SEEDED: &str = "template_seeded";
/// More would be a mailing list, not a review; it also bounds the lookups one request makes.
const MAX_REVIEWERS: usize = 20;

/// Installs the default template the first time; an admin's later edits (even an emptied
/// template) are never overwritten.
#[tracing::instrument(skip_all)]
pub async fn ensure_template(pool: &PgPool) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    db::advisory_lock(&mut tx, "template").await?;
    if db::postmortems::setting(&mut *tx, TEMPLATE_SEEDED).await?.is_none() {
        db::postmortems::replace_template(&mut tx, &default_template()).await?;
        db::postmortems::set_setting(&mut *tx, TEMPLATE_SEEDED, "true").await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The template new postmortems start from; admins manage it.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn template(pool: &PgPool, user: &User) -> AppResult<Vec<TemplateSection>> {
    access::require_admin(user)?;
    db::postmortems::template(pool).await
}

/// Checks a whole template: keys valid and unique, titles present, text bounded.
pub fn check_template(sections: &[TemplateSection]) -> AppResult<Vec<TemplateSection>> {
    let mut errs = crate::domain::validate::FieldErrors::new();
    if sections.is_empty() {
        errs.insert("sections".into(), "A template needs at least one section".into());
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(sections.len());
    for (i, s) in sections.iter().enumerate() {
        let key = s.key.trim().to_string();
        let title = s.title.trim().to_string();
        if !valid_key(&key) {
            errs.insert(
                format!("sections[{i}].key"),
                format!("{key:?}: use lower-case letters, digits and _ (start with a letter)"),
            );
        } else if !seen.insert(key.clone()) {
            errs.insert(format!("sections[{i}].key"), format!("{key:?} is used twice"));
        }
        if title.is_empty() || title.chars().count() > 100 {
            errs.insert(format!("sections[{i}].title"), "Give the section a title of at most 100 characters".into());
        }
        if s.guidance.chars().count() > 2000 {
            errs.insert(format!("sections[{i}].guidance"), "Guidance is limited to 2000 characters".into());
        }
        out.push(TemplateSection { key, title, guidance: s.guidance.trim().to_string(), required: s.required });
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(AppError::fields(errs))
    }
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn save_template(
    pool: &PgPool,
    user: &User,
    sections: &[TemplateSection],
) -> AppResult<Vec<TemplateSection>> {
    super::access::require_admin(user)?;
    let sections = check_template(sections)?;
    let before = db::postmortems::template(pool).await?;
    let mut tx = pool.begin().await?;
    db::postmortems::replace_template(&mut tx, &sections).await?;
    let keys = |s: &[TemplateSection]| s.iter().map(|t| t.key.clone()).collect::<Vec<_>>();
    let diff = super::audit::change("sections", keys(&before), keys(&sections));
    let object = super::audit::Object::setting("postmortem_template");
    super::audit::record(&mut *tx, user, AuditAction::TemplateChanged, object, Some(diff)).await?;
    tx.commit().await?;
    db::postmortems::template(pool).await
}

/// Starts the incident's postmortem from the current template (or returns the existing one).
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn start(pool: &PgPool, user: &User, incident_id: i64) -> AppResult<(Postmortem, bool)> {
    super::access::require_writer(user)?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    let created = db::postmortems::start(&mut tx, incident_id, user.id).await?;
    tx.commit().await?;
    Ok((reread(pool, incident_id).await?, created))
}

fn not_started(incident_id: i64) -> AppError {
    AppError::NotFound(format!("{} has no postmortem yet: start one first", crate::domain::incident_ref(incident_id)))
}

/// The incident's postmortem, if `viewer` may see the incident.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn get(pool: &PgPool, viewer: &User, incident_id: i64) -> AppResult<Postmortem> {
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    get_on(&mut conn, incident_id).await
}

/// Reads the postmortem after a change whose access was decided.
async fn reread(pool: &PgPool, incident_id: i64) -> AppResult<Postmortem> {
    get_on(&mut *pool.acquire().await?, incident_id).await
}

/// Everything the postmortem page shows (the write-up is `None` until started).
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn page(pool: &PgPool, viewer: &User, incident_id: i64) -> AppResult<PostmortemPage> {
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    let incident = super::incidents::load(&mut *conn, incident_id).await?;
    let postmortem = match get_on(&mut conn, incident_id).await {
        Ok(pm) => Some(pm),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let rendered =
        postmortem.iter().flat_map(|pm| pm.sections.iter().map(|s| super::markdown::render(&s.body))).collect();
    let milestones = db::milestones::of(&mut *conn, incident_id).await?.rows(crate::domain::time::zone(viewer));
    Ok(PostmortemPage { incident, postmortem, rendered, milestones, me: viewer.clone() })
}

/// Renders Markdown exactly as the page will show it and checks its wording, for the live preview.
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn preview(pool: &PgPool, viewer: &User, body: &str) -> AppResult<Preview> {
    access::require_writer(viewer)?;
    if body.chars().count() > SECTION_MAX {
        return Err(AppError::invalid("body", format!("A section is limited to {SECTION_MAX} characters")));
    }
    let names: Vec<String> = db::users::refs(pool).await?.into_iter().map(|u| u.name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(Preview { html: super::markdown::render(body), flags: blameless::check(body, &names) })
}

/// One section's saved versions and, by default, the latest change against the one before it.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn history(
    pool: &PgPool,
    viewer: &User,
    incident_id: i64,
    key: &str,
    from: Option<i32>,
    to: Option<i32>,
    page: &RevisionsQuery,
) -> AppResult<HistoryPage> {
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    let incident = super::incidents::load(&mut *conn, incident_id).await?;
    let pm = get_on(&mut conn, incident_id).await?;
    let title = pm.sections.iter().find(|s| s.key == key).map(|s| s.title.clone()).unwrap_or_else(|| key.to_string());
    let revisions = revisions_on(&mut conn, incident_id, key, page).await?;
    let latest = db::postmortems::revision_count(&mut *conn, incident_id, key).await?.1;
    // Default: the latest change against the one before it.
    let to = to.or((latest > 0).then_some(latest));
    let from = from.or_else(|| to.map(|t| t - 1));
    let mut bodies = Vec::new();
    for v in [from, to] {
        bodies.push(match v {
            Some(0) => Some(String::new()),
            Some(v) => db::postmortems::revision_body(&mut *conn, incident_id, key, v).await?,
            None => None,
        });
    }
    let (a, b) = (bodies[0].take(), bodies[1].take());
    let diff = match (from, to, a, b) {
        // CPU-bound on long sections: off the async workers.
        (Some(f), Some(t), Some(a), Some(b)) => {
            let lines = tokio::task::spawn_blocking(move || crate::domain::diff::diff_lines(&a, &b)).await;
            Some((f, t, lines.map_err(crate::error::internal)?))
        }
        _ => None,
    };
    Ok(HistoryPage { incident, title, revisions, latest, diff })
}

/// `get` on a given connection, so a transaction sees its own changes.
#[tracing::instrument(skip_all, fields(incident_id))]
pub async fn get_on(conn: &mut sqlx::PgConnection, incident_id: i64) -> AppResult<Postmortem> {
    let header = db::postmortems::header(&mut *conn, incident_id).await?.ok_or_else(|| not_started(incident_id))?;
    let sections = db::postmortems::sections(&mut *conn, incident_id).await?;
    let key = key_events(&mut *conn, incident_id).await?;
    let factors = db::postmortems::factors(&mut *conn, incident_id).await?;
    let names: Vec<String> = db::users::refs(&mut *conn).await?.into_iter().map(|u| u.name).collect();
    let reviewers = db::postmortems::reviewers(&mut *conn, incident_id)
        .await?
        .into_iter()
        .map(|(user, decision)| Reviewer { user, decision })
        .collect();
    let comments = db::postmortems::comments(&mut *conn, incident_id, None, true, COMMENTS_SHOWN).await?;
    let comments_total = db::postmortems::comment_count(&mut *conn, incident_id).await?;
    Ok(Postmortem {
        incident_id,
        status: header.status,
        blameless_flags: flags(&sections, &factors, &names),
        sections,
        published_url: (header.status == PostmortemStatus::Published).then(|| library_url(incident_id)),
        published_at: header.published_at,
        reviewers,
        comments,
        comments_total,
        timeline: timeline_items(&key.events, &key.excluded),
        time_to_detect_seconds: key.time_to_detect().map(|d| d.num_seconds()),
        contributing_factors: factors,
    })
}

/// An incident's key events, which of them the write-up leaves out, and when it started.
struct KeyEvents {
    events: Vec<crate::domain::TimelineEvent>,
    excluded: Vec<i64>,
    started_at: chrono::DateTime<chrono::Utc>,
}

impl KeyEvents {
    fn time_to_detect(&self) -> Option<chrono::Duration> {
        time_to_detect(&self.events, self.started_at)
    }
}

async fn key_events(conn: &mut sqlx::PgConnection, incident_id: i64) -> AppResult<KeyEvents> {
    let incident =
        db::incidents::get(&mut *conn, incident_id).await?.ok_or_else(|| access::no_incident(incident_id))?;
    Ok(KeyEvents {
        events: db::timeline::key_events(&mut *conn, incident_id).await?,
        excluded: db::postmortems::timeline_exclusions(&mut *conn, incident_id).await?,
        started_at: incident.started_at,
    })
}

/// Every blameless-language hit, section by section, in template order; the contributing factors
/// count as part of their section.
pub fn flags(sections: &[Section], factors: &[ContributingFactor], known_names: &[String]) -> Vec<SectionFlag> {
    const FACTORS: &str = "contributing_factors";
    let names: Vec<&str> = known_names.iter().map(String::as_str).collect();
    let hits = |section: &str, text: &str| {
        blameless::check(text, &names)
            .into_iter()
            .map(|flag| SectionFlag { section: section.to_string(), flag })
            .collect::<Vec<_>>()
    };
    let mut out: Vec<SectionFlag> = Vec::new();
    for s in sections {
        out.extend(hits(&s.key, &s.body));
        if s.key == FACTORS {
            out.extend(factors.iter().flat_map(|f| hits(FACTORS, &f.factor)));
        }
    }
    if !sections.iter().any(|s| s.key == FACTORS) {
        out.extend(factors.iter().flat_map(|f| hits(FACTORS, &f.factor)));
    }
    out
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SectionSave {
    #[serde(default)]
    pub body: String,
    pub version: Option<i32>,
}

/// Saves one section if nobody saved it since `version`; otherwise a Conflict carrying the
/// current section, so the writer can see the other text and merge.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn save_section(
    pool: &PgPool,
    user: &User,
    incident_id: i64,
    key: &str,
    save: SectionSave,
) -> AppResult<Section> {
    super::access::require_writer(user)?;
    let version = save
        .version
        .ok_or_else(|| AppError::invalid("version", "version is required: send the version you started from"))?;
    if save.body.chars().count() > SECTION_MAX {
        return Err(AppError::invalid("body", format!("A section is limited to {SECTION_MAX} characters")));
    }
    let body = save.body.trim_end().to_string();
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    db::postmortems::header(&mut *tx, incident_id).await?.ok_or_else(|| not_started(incident_id))?;
    let saved = db::postmortems::save_section(&mut tx, incident_id, key, version, &body, user.id).await?;
    if saved.is_some() {
        db::postmortems::reset_decisions(&mut *tx, incident_id).await?;
    }
    let current = db::postmortems::section(&mut *tx, incident_id, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("This postmortem has no section {key:?}")))?;
    if saved.is_none() {
        let who = current.updated_by.as_ref().map(|u| u.name.as_str()).unwrap_or("someone");
        return Err(AppError::Conflict {
            message: format!(
                "{who} saved \u{201c}{}\u{201d} while you were editing. Compare both texts, merge, and save again.",
                current.title
            ),
            current: serde_json::to_value(&current).ok(),
            values: Default::default(),
        });
    }
    tx.commit().await?;
    Ok(current)
}

/// A page of a list that pages by a number (a version, a comment id).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionsQuery {
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

impl RevisionsQuery {
    fn parse(&self) -> AppResult<(Option<i64>, i64)> {
        let mut errs = crate::domain::validate::FieldErrors::new();
        let cursor = crate::domain::validate::non_empty(&self.cursor).and_then(|c| {
            let n = c.parse::<i64>().ok().filter(|n| *n >= 0);
            crate::domain::validate::check(
                &mut errs,
                "cursor",
                n.ok_or_else(|| "That page link is not valid: start from the first page".to_string()),
            )
        });
        let limit =
            crate::domain::validate::check(&mut errs, "limit", crate::domain::paging::limit(self.limit.as_deref()));
        match limit {
            Some(limit) if errs.is_empty() => Ok((cursor, limit)),
            _ => Err(AppError::fields(errs)),
        }
    }
}

/// One section's saved versions, newest first, a page at a time.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn revisions(
    pool: &PgPool,
    viewer: &User,
    incident_id: i64,
    key: &str,
    page: &RevisionsQuery,
) -> AppResult<Page<Revision>> {
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    revisions_on(&mut conn, incident_id, key, page).await
}

async fn revisions_on(
    conn: &mut sqlx::PgConnection,
    incident_id: i64,
    key: &str,
    page: &RevisionsQuery,
) -> AppResult<Page<Revision>> {
    let (before, limit) = page.parse()?;
    db::postmortems::section(&mut *conn, incident_id, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("This postmortem has no section {key:?}")))?;
    let before = before.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    let rows: Vec<Revision> = db::postmortems::revisions(&mut *conn, incident_id, key, before, limit + 1)
        .await?
        .into_iter()
        .map(|r| Revision {
            version: r.version,
            body: r.body,
            author: UserRef { id: r.author_id, name: r.author_name },
            created_at: r.created_at,
        })
        .collect();
    let total = db::postmortems::revision_count(&mut *conn, incident_id, key).await?.0;
    Ok(Page::from_rows(rows, limit, total, |r| r.version.to_string()))
}

/// Every review comment, oldest first, a page at a time.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn comments(
    pool: &PgPool,
    viewer: &User,
    incident_id: i64,
    page: &RevisionsQuery,
) -> AppResult<Page<ReviewComment>> {
    let (after, limit) = page.parse()?;
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    db::postmortems::header(&mut *conn, incident_id).await?.ok_or_else(|| not_started(incident_id))?;
    let rows = db::postmortems::comments(&mut *conn, incident_id, after, false, limit + 1).await?;
    let total = db::postmortems::comment_count(&mut *conn, incident_id).await?;
    Ok(Page::from_rows(rows, limit, total, |c| c.id.to_string()))
}

/// The whole write-up as GitHub-flavoured Markdown; the same data gives the same bytes.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn export(pool: &PgPool, viewer: &User, incident_id: i64) -> AppResult<String> {
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    let markdown = export_on(&mut conn, viewer, incident_id).await?;
    // Who took a copy of a private write-up away is in the audit log.
    let incident = super::incidents::load(&mut *conn, incident_id).await?;
    if incident.private {
        let object = super::audit::Object::incident(incident_id, &incident.title);
        super::audit::record(&mut *conn, viewer, AuditAction::PostmortemDownloaded, object, None).await?;
    }
    Ok(markdown)
}

async fn export_on(conn: &mut sqlx::PgConnection, viewer: &User, incident_id: i64) -> AppResult<String> {
    let incident = super::incidents::load(&mut *conn, incident_id).await?;
    let pm = get_on(&mut *conn, incident_id).await?;
    let key = key_events(&mut *conn, incident_id).await?;
    let timeline = timeline_lines(&key.events, &key.excluded);
    let authors = db::postmortems::authors(&mut *conn, incident_id).await?;
    let actions: Vec<_> = super::actions::of_incident(&mut *conn, viewer, incident_id)
        .await?
        .iter()
        .map(crate::domain::actions::export_row)
        .collect();
    Ok(export_markdown(&ExportInput {
        incident: &incident,
        status: pm.status,
        sections: &pm.sections,
        timeline: &timeline,
        time_to_detect: key.time_to_detect(),
        factors: &pm.contributing_factors,
        actions: &actions,
        authors: &authors,
        published_at: pm.published_at,
    }))
}

/// Puts one of the incident's key events in the timeline section, or leaves it out.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id, event_id))]
pub async fn toggle_timeline_event(
    pool: &PgPool,
    user: &User,
    incident_id: i64,
    event_id: i64,
    include: bool,
) -> AppResult<Postmortem> {
    super::access::require_writer(user)?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    locked_status(&mut tx, incident_id).await?;
    db::timeline::get(&mut *tx, event_id)
        .await?
        .filter(|e| e.incident_id == incident_id && e.key.is_some())
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "{} has no key event {event_id}: mark a timeline note as trigger, detection, mitigation or resolution first",
                crate::domain::incident_ref(incident_id)
            ))
        })?;
    if db::postmortems::set_timeline_included(&mut *tx, incident_id, event_id, include).await? {
        db::postmortems::reset_decisions(&mut *tx, incident_id).await?;
    }
    tx.commit().await?;
    reread(pool, incident_id).await
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FactorInput {
    #[serde(default)]
    pub factor: String,
    #[serde(default)]
    pub category: String,
}

/// Checks a new factor: some text within bounds and one of the categories.
pub fn check_factor(input: &FactorInput) -> AppResult<(String, FactorCategory)> {
    let mut errs = crate::domain::validate::FieldErrors::new();
    let factor = input.factor.trim().to_string();
    let len = factor.chars().count();
    if len == 0 {
        errs.insert("factor".into(), "Describe the factor: what in the system let this happen".into());
    } else if len > FACTOR_MAX {
        errs.insert("factor".into(), format!("A factor is limited to {FACTOR_MAX} characters"));
    }
    let category = input.category.parse::<FactorCategory>().ok();
    if category.is_none() {
        let names: Vec<&str> = FactorCategory::ALL.iter().map(|c| c.as_str()).collect();
        errs.insert("category".into(), format!("Choose a category: {}", names.join(", ")));
    }
    match category {
        Some(c) if errs.is_empty() => Ok((factor, c)),
        _ => Err(AppError::fields(errs)),
    }
}

/// Adds a contributing factor after the others. Blaming words are flagged, never refused.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn add_factor(pool: &PgPool, user: &User, incident_id: i64, input: &FactorInput) -> AppResult<Postmortem> {
    super::access::require_writer(user)?;
    let (factor, category) = check_factor(input)?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    locked_status(&mut tx, incident_id).await?;
    db::postmortems::add_factor(&mut *tx, incident_id, &factor, category, user.id).await?;
    db::postmortems::reset_decisions(&mut *tx, incident_id).await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

#[tracing::instrument(skip_all, fields(user = user.id, incident_id, factor_id))]
pub async fn remove_factor(pool: &PgPool, user: &User, incident_id: i64, factor_id: i64) -> AppResult<Postmortem> {
    super::access::require_writer(user)?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    locked_status(&mut tx, incident_id).await?;
    if !db::postmortems::remove_factor(&mut *tx, incident_id, factor_id).await? {
        return Err(AppError::NotFound(format!("This postmortem has no contributing factor {factor_id}")));
    }
    db::postmortems::reset_decisions(&mut *tx, incident_id).await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

/// The permanent, clean page of a published write-up.
pub fn library_url(incident_id: i64) -> String {
    format!("/library/{}", crate::domain::incident_ref(incident_id))
}

async fn locked_status(tx: &mut sqlx::PgConnection, incident_id: i64) -> AppResult<PostmortemStatus> {
    db::postmortems::lock(&mut *tx, incident_id).await?.ok_or_else(|| not_started(incident_id))
}

fn wrong_state(now: PostmortemStatus, wanted: &str) -> AppError {
    AppError::Conflict {
        message: format!("The postmortem is {}; it must be {wanted} for this", now.as_str().replace('_', " ")),
        current: None,
        values: Default::default(),
    }
}

/// Draft → in review, with the chosen reviewers (admins can always review). Required sections must
/// be written; blameless flags never block, the reviewers see them.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn submit(pool: &PgPool, user: &User, incident_id: i64, reviewers: &[Person]) -> AppResult<Postmortem> {
    super::access::require_writer(user)?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    let status = locked_status(&mut tx, incident_id).await?;
    if status == PostmortemStatus::InReview {
        return Err(wrong_state(status, "a draft or published"));
    }
    let sections = db::postmortems::sections(&mut *tx, incident_id).await?;
    let key = key_events(&mut tx, incident_id).await?;
    let structured = Structured {
        factors: !db::postmortems::factors(&mut *tx, incident_id).await?.is_empty(),
        timeline: timeline_items(&key.events, &key.excluded).iter().any(|t| t.included),
    };
    let missing = missing_required(&sections, &structured);
    if !missing.is_empty() {
        let fields = missing
            .iter()
            .map(|s| (format!("sections.{}", s.key), format!("{} is required before review", s.title)))
            .collect();
        return Err(AppError::fields(fields));
    }
    if reviewers.len() > MAX_REVIEWERS {
        return Err(AppError::invalid("reviewers", format!("Name at most {MAX_REVIEWERS} reviewers")));
    }
    let mut reviewer_ids = Vec::with_capacity(reviewers.len());
    for who in reviewers {
        let u = super::people::find(&mut tx, who, "reviewers").await?;
        if !u.active {
            return Err(AppError::invalid("reviewers", format!("{} has been deactivated", u.name)));
        }
        if u.id == user.id {
            return Err(AppError::invalid("reviewers", "You cannot review your own write-up: choose someone else"));
        }
        if !u.can_write() {
            return Err(AppError::invalid("reviewers", format!("{} is a reader and cannot review", u.name)));
        }
        if !db::incidents::visible(&mut *tx, incident_id, Some(u.id)).await? {
            return Err(AppError::invalid(
                "reviewers",
                format!("{} cannot see this private incident: add them to it first", u.name),
            ));
        }
        if !reviewer_ids.contains(&u.id) {
            reviewer_ids.push(u.id);
        }
    }
    db::postmortems::set_reviewers(&mut tx, incident_id, &reviewer_ids).await?;
    db::postmortems::set_status(&mut *tx, incident_id, PostmortemStatus::InReview).await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

/// Assigned reviewers and admins review.
async fn require_reviewer(tx: &mut sqlx::PgConnection, user: &User, incident_id: i64) -> AppResult<()> {
    if user.is_admin() {
        return Ok(());
    }
    let assigned = db::postmortems::reviewers(&mut *tx, incident_id).await?.iter().any(|(u, _)| u.id == user.id);
    if assigned {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only the postmortem's reviewers and admins can review or publish it".into()))
    }
}

#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn approve(pool: &PgPool, user: &User, incident_id: i64) -> AppResult<Postmortem> {
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    let status = locked_status(&mut tx, incident_id).await?;
    require_reviewer(&mut tx, user, incident_id).await?;
    if status != PostmortemStatus::InReview {
        return Err(wrong_state(status, "in review"));
    }
    if db::postmortems::author_ids(&mut *tx, incident_id).await?.contains(&user.id) {
        return Err(AppError::Forbidden(
            "You wrote part of this write-up, so your approval would not be independent: ask another reviewer".into(),
        ));
    }
    db::postmortems::decide(&mut *tx, incident_id, user.id, "approved").await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

/// Sends the write-up back to draft with a comment saying what to change.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn request_changes(
    pool: &PgPool,
    user: &User,
    incident_id: i64,
    section: Option<&str>,
    comment: &str,
) -> AppResult<Postmortem> {
    let comment = crate::domain::validate::review_comment(comment).map_err(|m| AppError::invalid("comment", m))?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    let status = locked_status(&mut tx, incident_id).await?;
    require_reviewer(&mut tx, user, incident_id).await?;
    if status != PostmortemStatus::InReview {
        return Err(wrong_state(status, "in review"));
    }
    let section = comment_section(&mut tx, incident_id, section).await?;
    db::postmortems::decide(&mut *tx, incident_id, user.id, "changes_requested").await?;
    db::postmortems::add_comment(&mut *tx, incident_id, section.as_deref(), user.id, &comment).await?;
    db::postmortems::set_status(&mut *tx, incident_id, PostmortemStatus::Draft).await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

/// A review comment on the whole write-up or one section; it does not change the state.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn comment(
    pool: &PgPool,
    user: &User,
    incident_id: i64,
    section: Option<&str>,
    body: &str,
) -> AppResult<Postmortem> {
    super::access::require_writer(user)?;
    let body = crate::domain::validate::note(body).map_err(|m| AppError::invalid("comment", m))?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    db::postmortems::header(&mut *tx, incident_id).await?.ok_or_else(|| not_started(incident_id))?;
    let section = comment_section(&mut tx, incident_id, section).await?;
    db::postmortems::add_comment(&mut *tx, incident_id, section.as_deref(), user.id, &body).await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

/// The section a comment is about: one of this write-up's, or none for the whole of it.
async fn comment_section(
    tx: &mut sqlx::PgConnection,
    incident_id: i64,
    section: Option<&str>,
) -> AppResult<Option<String>> {
    let Some(key) = section.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let known = valid_key(key) && db::postmortems::section(&mut *tx, incident_id, key).await?.is_some();
    if !known {
        return Err(AppError::invalid("section", "Choose one of the write-up's sections, or the whole write-up"));
    }
    Ok(Some(key.to_string()))
}

/// The Markdown without its front matter, rendered and sanitised for the library page.
fn publication_html(markdown: &str) -> String {
    let body = markdown
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n").map(|(_, body)| body))
        .unwrap_or(markdown);
    super::markdown::render(body)
}

/// Publishes (or republishes a revised) postmortem: keeps a new publication, closes the incident
/// and tells the destinations in the same transaction.
///
/// It needs an approval from someone who wrote none of it. Without one an admin may still publish,
/// saying why (`override_reason`, shown on the publication). A revision goes through review again.
#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn publish(
    pool: &PgPool,
    user: &User,
    incident_id: i64,
    override_reason: Option<&str>,
) -> AppResult<Postmortem> {
    let reason = crate::domain::postmortem::override_reason(override_reason)
        .map_err(|m| AppError::invalid("override_reason", m))?;
    let mut tx = pool.begin().await?;
    see_incident(&mut *tx, user, incident_id).await?;
    let status = locked_status(&mut tx, incident_id).await?;
    require_reviewer(&mut tx, user, incident_id).await?;
    if status != PostmortemStatus::InReview {
        return Err(wrong_state(status, "in review (a revision is sent to review again)"));
    }
    let approvers: Vec<i64> = db::postmortems::reviewers(&mut *tx, incident_id)
        .await?
        .into_iter()
        .filter(|(_, d)| d == "approved")
        .map(|(u, _)| u.id)
        .collect();
    let authors = db::postmortems::author_ids(&mut *tx, incident_id).await?;
    let reason = match (crate::domain::postmortem::independently_approved(&approvers, &authors), reason) {
        // Reviewed as it should be: no override to record.
        (true, _) => None,
        (false, Some(_)) if !user.is_admin() => {
            return Err(AppError::Forbidden("Only admins can publish without an independent approval".into()))
        }
        (false, Some(r)) => Some(r),
        (false, None) => {
            let admin = if user.is_admin() { " As an admin you may publish anyway by saying why." } else { "" };
            return Err(AppError::invalid(
                "override_reason",
                format!("Publishing needs an approval from someone who did not write the write-up.{admin}"),
            ));
        }
    };
    db::postmortems::set_status(&mut *tx, incident_id, PostmortemStatus::Published).await?;
    let incident = super::incidents::close(&mut tx, user, incident_id, None).await?;
    // Exported inside the transaction, so the kept copy shows the published, closed state.
    let markdown = export_on(&mut tx, user, incident_id).await?;
    let html = publication_html(&markdown);
    let revision =
        db::postmortems::publish(&mut *tx, incident_id, user.id, &incident.title, &markdown, &html, reason.as_deref())
            .await?;
    let detail = serde_json::json!({ "revision": revision, "admin_override": reason });
    let object = super::audit::Object::incident(incident_id, &incident.title);
    super::audit::record(&mut *tx, user, AuditAction::PostmortemPublished, object, Some(detail)).await?;
    let written = get_on(&mut tx, incident_id).await?;
    let summary = written.sections.iter().find(|s| s.key == "summary").map(|s| s.body.trim()).unwrap_or("");
    let what =
        if revision > 1 { format!("postmortem revised (revision {revision})") } else { "postmortem published".into() };
    let told = super::outbox::Told {
        event: crate::domain::notify::NotifyEvent::Published,
        what,
        detail: summary.to_string(),
        path: Some(library_url(incident_id)),
        actor: user,
    };
    super::outbox::tell(&mut tx, &incident, [told]).await?;
    tx.commit().await?;
    reread(pool, incident_id).await
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryQuery {
    pub q: Option<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
    /// `YYYY-MM`
    pub month: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// A stored publication as the library lists it; a stored severity that no longer reads is an error
/// naming the row.
fn entry(r: &db::postmortems::PublicationRecord) -> AppResult<LibraryEntry> {
    Ok(LibraryEntry {
        incident_id: r.incident_id,
        reference: crate::domain::incident_ref(r.incident_id),
        title: r.title.clone(),
        severity: db::stored(&r.severity, format!("publication of incident {}", r.incident_id), "severity")?,
        services: r.services.clone(),
        revision: r.revision,
        published_at: r.published_at,
        published_by: r.published_by.clone(),
        override_reason: r.override_reason.clone(),
        url: library_url(r.incident_id),
    })
}

/// Published write-ups, newest first: full-text search over what was published, and filters.
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn library(pool: &PgPool, viewer: &User, query: &LibraryQuery) -> AppResult<Page<LibraryEntry>> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (q, severity, service, month) =
        (given(&query.q), given(&query.severity), given(&query.service), given(&query.month));
    for (field, value) in [("q", &q), ("service", &service)] {
        if let Some(v) = value {
            crate::domain::validate::query(v).map_err(|m| AppError::invalid(field, m))?;
        }
    }
    let severity = match severity {
        Some(s) => Some(s.parse::<crate::domain::Severity>().map_err(|m| AppError::invalid("severity", m))?),
        None => None,
    };
    let month = match month {
        Some(m) => Some(month_bounds(&m).ok_or_else(|| AppError::invalid("month", "Use a month such as 2026-11"))?),
        None => None,
    };
    let limit = crate::domain::paging::limit(query.limit.as_deref()).map_err(|m| AppError::invalid("limit", m))?;
    let after = match query.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(library_cursor(c).map_err(|m| AppError::invalid("cursor", m))?),
    };
    let filter = db::postmortems::LibraryFilter {
        viewer: Some(viewer.id),
        after,
        q: q.as_deref(),
        severity: severity.map(|s| s.as_str()),
        service: service.as_deref(),
        month,
        limit: limit + 1,
    };
    let mut conn = pool.acquire().await?;
    let rows: Vec<LibraryEntry> =
        db::postmortems::library(&mut *conn, &filter).await?.iter().map(entry).collect::<AppResult<_>>()?;
    let total = db::postmortems::library_count(&mut *conn, &filter).await?;
    Ok(Page::from_rows(rows, limit, total, |e| format!("{}_{}", e.published_at.timestamp_micros(), e.incident_id)))
}

/// `<published, unix micros>_<incident id>`.
fn library_cursor(s: &str) -> Result<(chrono::DateTime<chrono::Utc>, i64), String> {
    let p = crate::domain::paging::cursor_parts(s, 2)?;
    let bad = || "That page link is not valid: start from the first page".to_string();
    let at = p[0].parse().ok().and_then(chrono::DateTime::from_timestamp_micros).ok_or_else(bad)?;
    Ok((at, p[1].parse().map_err(|_| bad())?))
}

#[tracing::instrument(skip_all, fields(viewer = viewer.id, incident_id))]
pub async fn publication(pool: &PgPool, viewer: &User, incident_id: i64) -> AppResult<Publication> {
    let mut conn = pool.acquire().await?;
    see_incident(&mut *conn, viewer, incident_id).await?;
    let r = db::postmortems::latest_publication(&mut *conn, incident_id).await?.ok_or_else(|| {
        AppError::NotFound(format!("{} has no published postmortem", crate::domain::incident_ref(incident_id)))
    })?;
    Ok(Publication { entry: entry(&r)?, html: r.html.clone() })
}

/// Text for XML: the five markup characters escaped, and the characters XML 1.0 does not allow at all
/// (C0 controls other than tab, newline and carriage return; U+FFFE and U+FFFF) dropped, since even
/// escaped they make the whole feed unreadable to a feed reader.
pub(super) fn xml_escape(s: &str) -> String {
    let allowed =
        |c: &char| !matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    super::markdown::escape(&s.chars().filter(allowed).collect::<String>())
}

/// An Atom feed of the latest publications `viewer` may see (self-contained: entries carry their HTML).
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn atom_feed(pool: &PgPool, viewer: &User) -> AppResult<String> {
    let base = super::webhook::settings(pool).await?.public_url;
    let filter = db::postmortems::LibraryFilter {
        viewer: Some(viewer.id),
        q: None,
        severity: None,
        service: None,
        month: None,
        after: None,
        limit: 50,
    };
    let entries = db::postmortems::library(pool, &filter).await?;
    feed_xml(&entries, &base)
}

/// The feed's XML; every text and attribute goes through `xml_escape`.
fn feed_xml(entries: &[db::postmortems::PublicationRecord], base_url: &str) -> AppResult<String> {
    let updated = entries.first().map(|e| e.published_at).unwrap_or_else(|| chrono::DateTime::UNIX_EPOCH);
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "  <title>Debrief: published postmortems</title>\n  <id>{base}/library</id>\n  <link rel=\"alternate\" href=\"{base}/library\"/>\n  <link rel=\"self\" href=\"{base}/library/feed.xml\"/>\n  <updated>{}</updated>\n",
        updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        base = xml_escape(base_url)
    ));
    for r in entries {
        let e = entry(r)?;
        let link = format!("{base_url}{}", e.url);
        out.push_str(&format!(
            "  <entry>\n    <title>{} {} ({})</title>\n    <id>{}#r{}</id>\n    <link rel=\"alternate\" href=\"{}\"/>\n    <updated>{}</updated>\n    <author><name>{}</name></author>\n    <content type=\"html\">{}</content>\n  </entry>\n",
            xml_escape(&e.reference),
            xml_escape(&e.title),
            e.severity,
            xml_escape(&link),
            e.revision,
            xml_escape(&link),
            e.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            xml_escape(&e.published_by),
            xml_escape(&r.html),
        ));
    }
    out.push_str("</feed>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_drops_what_xml_forbids() {
        assert_eq!(xml_escape("a\u{1}b\u{b}c\u{1b}[31md\u{fffe}\u{ffff}"), "abc[31md");
        assert_eq!(xml_escape("tab\tline\ncr\r\u{7f}é\u{fffd}"), "tab\tline\ncr\r\u{7f}é\u{fffd}");
        assert_eq!(xml_escape("<b a=\"1\">'&'</b>"), "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
    }

    #[test]
    fn feed_stays_valid_xml_whatever_a_title_holds() {
        let title = "Disk \u{1}full\u{b} \u{1b}[31m<script>alert('x')</script> & \"more\" ]]>";
        let record = db::postmortems::PublicationRecord {
            incident_id: 7,
            revision: 2,
            published_at: chrono::DateTime::UNIX_EPOCH,
            published_by: "Ada \u{1}<Lovelace>".into(),
            title: title.into(),
            severity: "SEV1".into(),
            services: vec![],
            html: "<p>Bad\u{2} &amp; <b>bold</b></p>".into(),
            markdown: String::new(),
            override_reason: None,
        };
        let xml = feed_xml(&[record], "https://debrief.example/?a=1&b=<2>").unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
        let atom = "http://www.w3.org/2005/Atom";
        let entry = doc.descendants().find(|n| n.has_tag_name((atom, "entry"))).expect("an entry");
        let text = |parent: roxmltree::Node, name: &str| {
            parent
                .children()
                .find(|n| n.has_tag_name((atom, name)))
                .and_then(|n| n.text())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(text(entry, "title"), "INC-7 Disk full [31m<script>alert('x')</script> & \"more\" ]]> (SEV1)");
        assert_eq!(text(entry, "content"), "<p>Bad &amp; <b>bold</b></p>");
        let author = entry.descendants().find(|n| n.has_tag_name((atom, "name"))).and_then(|n| n.text());
        assert_eq!(author, Some("Ada <Lovelace>"));
        let link = entry.children().find(|n| n.has_tag_name((atom, "link"))).and_then(|n| n.attribute("href"));
        assert_eq!(link, Some("https://debrief.example/?a=1&b=<2>/library/INC-7"));
    }
}
