use crate::domain::postmortem::{
    ContributingFactor, FactorCategory, PostmortemStatus, ReviewComment, Section, TemplateSection,
};
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

/// Stores `value` unless the key already has one: when several instances start at once, the first wins.
pub async fn add_setting(db: impl PgExecutor<'_>, key: &str, value: &str) -> AppResult<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
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

/// A section's saved versions, newest first: `limit` of them older than `before`.
pub async fn revisions(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    key: &str,
    before: Option<i32>,
    limit: i64,
) -> AppResult<Vec<RevisionRecord>> {
    Ok(sqlx::query_as(
        "SELECT r.version, r.body, r.author_id, u.name AS author_name, r.created_at
         FROM section_revisions r JOIN users u ON u.id = r.author_id
         WHERE r.incident_id = $1 AND r.key = $2 AND ($3::int IS NULL OR r.version < $3)
         ORDER BY r.version DESC LIMIT $4",
    )
    .bind(incident_id)
    .bind(key)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Names of everyone who saved a section, for the export's authors.
/// Everyone who saved a version of any section.
pub async fn author_ids(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT author_id FROM section_revisions WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_all(db)
        .await?)
}

pub async fn authors(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT u.name FROM section_revisions r JOIN users u ON u.id = r.author_id
         WHERE r.incident_id = $1 ORDER BY u.name",
    )
    .bind(incident_id)
    .fetch_all(db)
    .await?)
}

pub async fn set_status(db: impl PgExecutor<'_>, incident_id: i64, status: PostmortemStatus) -> AppResult<()> {
    sqlx::query(
        "UPDATE postmortems SET status = $2,
            published_at = CASE WHEN $2 = 'published' THEN now() ELSE published_at END
         WHERE incident_id = $1",
    )
    .bind(incident_id)
    .bind(status.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Locks the postmortem row for a review step and returns its status.
pub async fn lock(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Option<PostmortemStatus>> {
    let s: Option<String> = sqlx::query_scalar("SELECT status FROM postmortems WHERE incident_id = $1 FOR UPDATE")
        .bind(incident_id)
        .fetch_optional(db)
        .await?;
    Ok(s.and_then(|s| PostmortemStatus::parse(&s)))
}

/// Replaces the reviewers; everyone starts undecided.
pub async fn set_reviewers(tx: &mut PgConnection, incident_id: i64, user_ids: &[i64]) -> AppResult<()> {
    sqlx::query("DELETE FROM postmortem_reviewers WHERE incident_id = $1").bind(incident_id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO postmortem_reviewers (incident_id, user_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
    )
    .bind(incident_id)
    .bind(user_ids)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn decide(db: impl PgExecutor<'_>, incident_id: i64, user_id: i64, decision: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO postmortem_reviewers (incident_id, user_id, decision, decided_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (incident_id, user_id) DO UPDATE SET decision = $3, decided_at = now()",
    )
    .bind(incident_id)
    .bind(user_id)
    .bind(decision)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn reviewers(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<(UserRef, String)>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT u.id, u.name, r.decision FROM postmortem_reviewers r JOIN users u ON u.id = r.user_id
         WHERE r.incident_id = $1 ORDER BY u.name",
    )
    .bind(incident_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, name, d)| (UserRef { id, name }, d)).collect())
}

pub async fn add_comment(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    section_key: Option<&str>,
    author_id: i64,
    body: &str,
) -> AppResult<()> {
    sqlx::query("INSERT INTO review_comments (incident_id, section_key, author_id, body) VALUES ($1, $2, $3, $4)")
        .bind(incident_id)
        .bind(section_key)
        .bind(author_id)
        .bind(body)
        .execute(db)
        .await?;
    Ok(())
}

/// How many saved versions a section has, and the newest one's number (0 for none).
pub async fn revision_count(db: impl PgExecutor<'_>, incident_id: i64, key: &str) -> AppResult<(i64, i32)> {
    Ok(sqlx::query_as(
        "SELECT count(*), coalesce(max(version), 0) FROM section_revisions WHERE incident_id = $1 AND key = $2",
    )
    .bind(incident_id)
    .bind(key)
    .fetch_one(db)
    .await?)
}

/// The text of one saved version.
pub async fn revision_body(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    key: &str,
    version: i32,
) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT body FROM section_revisions WHERE incident_id = $1 AND key = $2 AND version = $3")
        .bind(incident_id)
        .bind(key)
        .bind(version)
        .fetch_optional(db)
        .await?)
}

pub async fn comment_count(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM review_comments WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_one(db)
        .await?)
}

/// Review comments oldest first: `limit` of them after the comment `after`, or, with `newest`, the
/// last `limit` (still oldest first).
pub async fn comments(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    after: Option<i64>,
    newest: bool,
    limit: i64,
) -> AppResult<Vec<ReviewComment>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        section_key: Option<String>,
        author_id: i64,
        author_name: String,
        body: String,
        created_at: DateTime<Utc>,
    }
    // Comments are written in order, so their ids are in time order too.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT * FROM (
            SELECT c.id, c.section_key, u.id AS author_id, u.name AS author_name, c.body, c.created_at
            FROM review_comments c JOIN users u ON u.id = c.author_id
            WHERE c.incident_id = $1 AND ($2::bigint IS NULL OR c.id > $2)
            ORDER BY CASE WHEN $3 THEN -c.id ELSE c.id END LIMIT $4) page
         ORDER BY id",
    )
    .bind(incident_id)
    .bind(after)
    .bind(newest)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewComment {
            id: r.id,
            section: r.section_key,
            author: UserRef { id: r.author_id, name: r.author_name },
            body: r.body,
            created_at: r.created_at,
        })
        .collect())
}

/// Stores a publication (the next revision) with its search vector; returns the revision.
pub async fn publish(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    user_id: i64,
    title: &str,
    markdown: &str,
    html: &str,
    override_reason: Option<&str>,
) -> AppResult<i32> {
    Ok(sqlx::query_scalar(
        "INSERT INTO publications (incident_id, revision, published_by, markdown, html, search, override_reason)
         VALUES ($1, COALESCE((SELECT max(revision) FROM publications WHERE incident_id = $1), 0) + 1, $2, $4, $5,
                 setweight(to_tsvector('english', $3), 'A') || setweight(to_tsvector('english', $4), 'B'), $6)
         RETURNING revision",
    )
    .bind(incident_id)
    .bind(user_id)
    .bind(title)
    .bind(markdown)
    .bind(html)
    .bind(override_reason)
    .fetch_one(db)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicationRecord {
    pub incident_id: i64,
    pub revision: i32,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub title: String,
    pub severity: String,
    pub services: Vec<String>,
    pub html: String,
    pub markdown: String,
    pub override_reason: Option<String>,
}

pub struct LibraryFilter<'a> {
    /// Only write-ups of incidents this user may see; `None`: public incidents only.
    pub viewer: Option<i64>,
    pub q: Option<&'a str>,
    pub severity: Option<&'a str>,
    pub service: Option<&'a str>,
    /// First instant of the month and of the next one.
    pub month: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Entries after this one (published at, incident id) in the library's order.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

const PUBLICATION_SELECT: &str = "SELECT p.incident_id, p.revision, p.published_at, u.name AS published_by,
        i.title, i.severity, i.services, p.html, p.markdown, p.search, p.override_reason
    FROM publications p JOIN incidents i ON i.id = p.incident_id JOIN users u ON u.id = p.published_by";

/// Each incident's latest publication, filtered; `$1`…`$6` are the filter's, as bound by `bind_library`.
fn library_from() -> String {
    format!(
        "FROM ({PUBLICATION_SELECT}
            WHERE p.revision = (SELECT max(revision) FROM publications WHERE incident_id = p.incident_id)) latest
         WHERE ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))
           AND ($2::text IS NULL OR severity = $2)
           AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM unnest(services) s WHERE lower(s) = lower($3)))
           AND ($4::timestamptz IS NULL OR (published_at >= $4 AND published_at < $5))
           AND incident_visible(incident_id, $6)"
    )
}

fn bind_library<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    f: &'q LibraryFilter<'_>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    q.bind(f.q).bind(f.severity).bind(f.service).bind(f.month.map(|m| m.0)).bind(f.month.map(|m| m.1)).bind(f.viewer)
}

/// The latest publication of each incident, newest first, filtered, `limit` after `after`.
pub async fn library(db: impl PgExecutor<'_>, f: &LibraryFilter<'_>) -> AppResult<Vec<PublicationRecord>> {
    let q = format!(
        "SELECT incident_id, revision, published_at, published_by, title, severity, services, html, markdown,
                override_reason
         {}
           AND ($7::timestamptz IS NULL OR (published_at, incident_id) < ($7, $8))
         ORDER BY published_at DESC, incident_id DESC LIMIT $9",
        library_from()
    );
    Ok(bind_library(sqlx::query_as(&q), f)
        .bind(f.after.map(|a| a.0))
        .bind(f.after.map(|a| a.1))
        .bind(f.limit)
        .fetch_all(db)
        .await?)
}

/// How many entries the whole filtered library holds.
pub async fn library_count(db: impl PgExecutor<'_>, f: &LibraryFilter<'_>) -> AppResult<i64> {
    let q = format!("SELECT count(*) {}", library_from());
    let (n,): (i64,) = bind_library(sqlx::query_as(&q), f).fetch_one(db).await?;
    Ok(n)
}

/// Any edit during review sends every reviewer's decision back to pending: they approved other text.
pub async fn reset_decisions(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE postmortem_reviewers SET decision = 'pending', decided_at = NULL
         WHERE incident_id = $1 AND decision <> 'pending'",
    )
    .bind(incident_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn latest_publication(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Option<PublicationRecord>> {
    let q = format!("{PUBLICATION_SELECT} WHERE p.incident_id = $1 ORDER BY p.revision DESC LIMIT 1");
    Ok(sqlx::query_as(&q).bind(incident_id).fetch_optional(db).await?)
}

/// Key events left out of the write-up's timeline section.
pub async fn timeline_exclusions(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT event_id FROM postmortem_timeline_exclusions WHERE incident_id = $1 ORDER BY event_id",
    )
    .bind(incident_id)
    .fetch_all(db)
    .await?)
}

/// Puts a key event in or leaves it out; returns whether anything changed.
pub async fn set_timeline_included(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    event_id: i64,
    include: bool,
) -> AppResult<bool> {
    let q = if include {
        "DELETE FROM postmortem_timeline_exclusions WHERE incident_id = $1 AND event_id = $2"
    } else {
        "INSERT INTO postmortem_timeline_exclusions (incident_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    };
    Ok(sqlx::query(q).bind(incident_id).bind(event_id).execute(db).await?.rows_affected() > 0)
}

pub async fn factors(db: impl PgExecutor<'_>, incident_id: i64) -> AppResult<Vec<ContributingFactor>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, factor, category FROM contributing_factors WHERE incident_id = $1 ORDER BY position, id",
    )
    .bind(incident_id)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(id, factor, category)| {
            let category = super::stored(&category, format!("contributing factor {id}"), "category")?;
            Ok(ContributingFactor { id, factor, category })
        })
        .collect()
}

/// Adds a factor after the others; the caller holds the postmortem's row lock.
pub async fn add_factor(
    db: impl PgExecutor<'_>,
    incident_id: i64,
    factor: &str,
    category: FactorCategory,
    user_id: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO contributing_factors (incident_id, factor, category, position, created_by)
         VALUES ($1, $2, $3, COALESCE((SELECT max(position) FROM contributing_factors WHERE incident_id = $1), 0) + 1, $4)
         RETURNING id",
    )
    .bind(incident_id)
    .bind(factor)
    .bind(category.as_str())
    .bind(user_id)
    .fetch_one(db)
    .await?)
}

/// Removes one factor of this postmortem; false when it has no such factor.
pub async fn remove_factor(db: impl PgExecutor<'_>, incident_id: i64, factor_id: i64) -> AppResult<bool> {
    Ok(sqlx::query("DELETE FROM contributing_factors WHERE incident_id = $1 AND id = $2")
        .bind(incident_id)
        .bind(factor_id)
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}
