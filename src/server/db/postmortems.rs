use crate::domain::postmortem::{PostmortemStatus, Section, TemplateSection};
use crate::domain::UserRef;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

pub async fn template(db: impl PgExecutor<'_>) -> AppResult<Vec<TemplateSection>> {
    let rows: Vec<(String, String, String, bool)> =
        sqlx::query_as("SELECT key, title, guidance, required FROM template_sections ORDER BY position, key")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(key, title, guidance, required)| TemplateSection { key, title, guidance, required })
        .collect())
}

/// Replaces the whole template in one transaction (the caller's).
pub async fn replace_template(tx: &mut PgConnection, sections: &[TemplateSection]) -> AppResult<()> {
    sqlx::query("DELETE FROM template_sections").execute(&mut *tx).await?;
    for (i, s) in sections.iter().enumerate() {
        sqlx::query(
            "INSERT INTO template_sections (key, position, title, guidance, required) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.key)
        .bind(i as i32)
        .bind(&s.title)
        .bind(&s.guidance)
        .bind(s.required)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

pub async fn setting(db: impl PgExecutor<'_>, key: &str) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(db).await?)
}

pub async fn set_setting(db: impl PgExecutor<'_>, key: &str, value: &str) -> AppResult<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
        .bind(key)
        .bind(value)
        .execute(db)
        .await?;
    Ok(())
}

pub struct Header {
    pub status: PostmortemStatus,
    pub published_at: Option<DateTime<Utc>>,
}

pub async fn header(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Option<Header>> {
    let row: Option<(String, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT status, published_at FROM postmortems WHERE incident_id = $1")
            .bind(incident_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(s, published_at)| Header {
        status: PostmortemStatus::parse(&s).unwrap_or(PostmortemStatus::Draft),
        published_at,
    }))
}

/// Starts a postmortem from the current template; a no-op when one exists (concurrent starts are safe).
pub async fn start(tx: &mut PgConnection, incident_id: i64, user_id: i64) -> AppResult<bool> {
    let created = sqlx::query(
        "INSERT INTO postmortems (incident_id, created_by) VALUES ($1, $2) ON CONFLICT (incident_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if created {
        sqlx::query(
            "INSERT INTO postmortem_sections (incident_id, key, position, title, guidance, required)
             SELECT $1, key, position, title, guidance, required FROM template_sections",
        )
        .bind(incident_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(created)
}

#[derive(sqlx::FromRow)]
struct SectionRecord {
    key: String,
    title: String,
    guidance: String,
    required: bool,
    body: String,
    version: i32,
    updated_at: Option<DateTime<Utc>>,
    updated_by: Option<i64>,
    updated_by_name: Option<String>,
}

impl From<SectionRecord> for Section {
    fn from(r: SectionRecord) -> Self {
        Section {
            key: r.key,
            title: r.title,
            guidance: r.guidance,
            required: r.required,
            body: r.body,
            version: r.version,
            updated_at: r.updated_at,
            updated_by: r.updated_by.map(|id| UserRef { id, name: r.updated_by_name.unwrap_or_default() }),
        }
    }
}

const SECTION_SELECT: &str = "SELECT s.key, s.title, s.guidance, s.required, s.body, s.version, s.updated_at,
        s.updated_by, u.name AS updated_by_name
    FROM postmortem_sections s LEFT JOIN users u ON u.id = s.updated_by";

pub async fn sections(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<Section>> {
    let q = format!("{SECTION_SELECT} WHERE s.incident_id = $1 ORDER BY s.position, s.key");
    Ok(sqlx::query_as::<_, SectionRecord>(&q)
        .bind(incident_id)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(Section::from)
        .collect())
}

pub async fn section(db: impl PgExecutor<'_>, incident_id: i64, key: &str) -> AppResult<Option<Section>> {
    let q = format!("{SECTION_SELECT} WHERE s.incident_id = $1 AND s.key = $2");
    Ok(sqlx::query_as::<_, SectionRecord>(&q).bind(incident_id).bind(key).fetch_optional(db).await?.map(Section::from))
}

/// Saves a section only if it is still at `version`; returns the new version, or `None` when stale.
pub async fn save_section(
    tx: &mut PgConnection,
    incident_id: i64,
    key: &str,
    version: i32,
    body: &str,
    user_id: i64,
) -> AppResult<Option<i32>> {
    let new_version: Option<i32> = sqlx::query_scalar(
        "UPDATE postmortem_sections SET body = $4, version = version + 1, updated_at = now(), updated_by = $5
         WHERE incident_id = $1 AND key = $2 AND version = $3 RETURNING version",
    )
    .bind(incident_id)
    .bind(key)
    .bind(version)
    .bind(body)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(v) = new_version {
        sqlx::query(
            "INSERT INTO section_revisions (incident_id, key, version, body, author_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(incident_id)
        .bind(key)
        .bind(v)
        .bind(body)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(new_version)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevisionRecord {
    pub version: i32,
    pub body: String,
    pub author_id: i64,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn revisions(db: impl PgExecutor<'_>, incident_id: i64, key: &str) -> AppResult<Vec<RevisionRecord>> {
    Ok(sqlx::query_as(
        "SELECT r.version, r.body, r.author_id, u.name AS author_name, r.created_at
         FROM section_revisions r JOIN users u ON u.id = r.author_id
         WHERE r.incident_id = $1 AND r.key = $2 ORDER BY r.version DESC",
    )
    .bind(incident_id)
    .bind(key)
    .fetch_all(db)
    .await?)
}

/// Names of everyone who saved a section, for the export's authors.
pub async fn authors(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT u.name FROM section_revisions r JOIN users u ON u.id = r.author_id
         WHERE r.incident_id = $1 ORDER BY u.name",
    )
    .bind(incident_id)
    .fetch_all(db)
    .await?)
}
