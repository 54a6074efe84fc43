//! Postmortem operations: the template, starting a write-up, saving sections with optimistic
//! concurrency and history, blameless checks and the Markdown export.

use super::db;
use crate::domain::blameless;
use crate::domain::export::{export_markdown, ExportInput};
use crate::domain::postmortem::*;
use crate::domain::{incident_url, User, UserRef};
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use sqlx::PgPool;

const TEMPLATE_SEEDED: &str = "template_seeded";

/// Installs the default template the first time; an admin's later edits (even an emptied
/// template) are never overwritten.
pub async fn ensure_template(pool: &PgPool) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('debrief:template'))").execute(&mut *tx).await?;
    if db::postmortems::setting(&mut *tx, TEMPLATE_SEEDED).await?.is_none() {
        db::postmortems::replace_template(&mut tx, &default_template()).await?;
        db::postmortems::set_setting(&mut *tx, TEMPLATE_SEEDED, "true").await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn template(pool: &PgPool) -> AppResult<Vec<TemplateSection>> {
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

pub async fn save_template(
    pool: &PgPool,
    user: &User,
    sections: &[TemplateSection],
) -> AppResult<Vec<TemplateSection>> {
    super::accounts::require_admin(user)?;
    let sections = check_template(sections)?;
    let mut tx = pool.begin().await?;
    db::postmortems::replace_template(&mut tx, &sections).await?;
    tx.commit().await?;
    template(pool).await
}

/// Starts the incident's postmortem from the current template (or returns the existing one).
pub async fn start(pool: &PgPool, user: &User, incident_id: i64) -> AppResult<(Postmortem, bool)> {
    super::incidents::get(pool, incident_id).await?;
    let mut tx = pool.begin().await?;
    let created = db::postmortems::start(&mut tx, incident_id, user.id).await?;
    tx.commit().await?;
    Ok((get(pool, incident_id).await?, created))
}

fn not_started(incident_id: i64) -> AppError {
    AppError::NotFound(format!("{} has no postmortem yet: start one first", crate::domain::incident_ref(incident_id)))
}

pub async fn get(pool: &PgPool, incident_id: i64) -> AppResult<Postmortem> {
    let mut conn = pool.acquire().await?;
    let header = db::postmortems::header(&mut *conn, incident_id).await?.ok_or_else(|| not_started(incident_id))?;
    let sections = db::postmortems::sections(&mut *conn, incident_id).await?;
    let names: Vec<String> = db::users::refs(&mut *conn).await?.into_iter().map(|u| u.name).collect();
    Ok(Postmortem {
        incident_id,
        status: header.status,
        blameless_flags: flags(&sections, &names),
        sections,
        published_url: (header.status == PostmortemStatus::Published)
            .then(|| format!("{}/postmortem", incident_url(incident_id))),
        published_at: header.published_at,
    })
}

/// Every blameless-language hit, section by section, in template order.
pub fn flags(sections: &[Section], known_names: &[String]) -> Vec<SectionFlag> {
    let names: Vec<&str> = known_names.iter().map(String::as_str).collect();
    sections
        .iter()
        .flat_map(|s| {
            blameless::check(&s.body, &names).into_iter().map(|flag| SectionFlag { section: s.key.clone(), flag })
        })
        .collect()
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SectionSave {
    #[serde(default)]
    pub body: String,
    pub version: Option<i32>,
}

/// Saves one section if nobody saved it since `version`; otherwise a Conflict carrying the
/// current section, so the writer can see the other text and merge.
pub async fn save_section(
    pool: &PgPool,
    user: &User,
    incident_id: i64,
    key: &str,
    save: SectionSave,
) -> AppResult<Section> {
    let version = save
        .version
        .ok_or_else(|| AppError::invalid("version", "version is required: send the version you started from"))?;
    if save.body.chars().count() > SECTION_MAX {
        return Err(AppError::invalid("body", format!("A section is limited to {SECTION_MAX} characters")));
    }
    let body = save.body.trim_end().to_string();
    db::postmortems::header(pool, incident_id).await?.ok_or_else(|| not_started(incident_id))?;
    let mut tx = pool.begin().await?;
    let saved = db::postmortems::save_section(&mut tx, incident_id, key, version, &body, user.id).await?;
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

pub async fn revisions(pool: &PgPool, incident_id: i64, key: &str) -> AppResult<Vec<Revision>> {
    db::postmortems::section(pool, incident_id, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("This postmortem has no section {key:?}")))?;
    Ok(db::postmortems::revisions(pool, incident_id, key)
        .await?
        .into_iter()
        .map(|r| Revision {
            version: r.version,
            body: r.body,
            author: UserRef { id: r.author_id, name: r.author_name },
            created_at: r.created_at,
        })
        .collect())
}

/// The whole write-up as GitHub-flavoured Markdown; the same data gives the same bytes.
pub async fn export(pool: &PgPool, incident_id: i64) -> AppResult<String> {
    let incident = super::incidents::get(pool, incident_id).await?;
    let pm = get(pool, incident_id).await?;
    let timeline: Vec<TimelineLine> = db::timeline::all(pool, incident_id)
        .await?
        .into_iter()
        .filter_map(|e| e.key.map(|k| TimelineLine { at: e.occurred_at, kind: k.as_str().to_string(), text: e.body }))
        .collect();
    let authors = db::postmortems::authors(pool, incident_id).await?;
    Ok(export_markdown(&ExportInput {
        incident: &incident,
        status: pm.status,
        sections: &pm.sections,
        timeline: &timeline,
        actions: &[],
        authors: &authors,
        published_at: pm.published_at,
    }))
}
