use super::{stored, stored_opt, timeline::Change};
use crate::domain::actions::{ActionChange, ActionItem, ActionStatus, ActionType, Priority};
use crate::domain::{Severity, UserRef};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct ActionRecord {
    id: i64,
    incident_id: i64,
    incident_title: String,
    incident_severity: String,
    title: String,
    description: String,
    owner_id: i64,
    owner_name: String,
    owner_time_zone: String,
    due_on: NaiveDate,
    kind: String,
    priority: String,
    status: String,
    reason: Option<String>,
    tracker_url: Option<String>,
    success_criterion: String,
    check_back_on: Option<NaiveDate>,
    outcome: Option<String>,
    outcome_note: String,
    version: i32,
    created_by: i64,
    created_by_name: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    follows_id: Option<i64>,
}

/// An item as stored, with its owner's time zone; `overdue` and `history` are filled in by the caller.
pub struct StoredAction {
    pub item: ActionItem,
    pub owner_time_zone: String,
}

impl TryFrom<ActionRecord> for StoredAction {
    type Error = AppError;

    fn try_from(r: ActionRecord) -> AppResult<Self> {
        let row = format!("action item {}", r.id);
        Ok(StoredAction {
            owner_time_zone: r.owner_time_zone,
            item: ActionItem {
                id: r.id,
                incident_id: r.incident_id,
                incident_title: r.incident_title,
                incident_severity: stored(&r.incident_severity, &row, "incident severity")?,
                title: r.title,
                description: r.description,
                owner: r.owner_id,
                owner_name: r.owner_name,
                due_on: r.due_on,
                kind: stored(&r.kind, &row, "type")?,
                priority: stored(&r.priority, &row, "priority")?,
                status: stored(&r.status, &row, "status")?,
                reason: r.reason,
                tracker_url: r.tracker_url,
                success_criterion: r.success_criterion,
                check_back_on: r.check_back_on,
                outcome: stored_opt(r.outcome.as_deref(), &row, "outcome")?,
                outcome_note: r.outcome_note,
                overdue: false,
                check_back_due: false,
                version: r.version,
                created_by: UserRef { id: r.created_by, name: r.created_by_name },
                created_at: r.created_at,
                updated_at: r.updated_at,
                follows: r.follows_id,
                history: Vec::new(),
            },
        })
    }
}

macro_rules! columns {
    () => {
        "a.id, a.incident_id, i.title AS incident_title, i.severity AS incident_severity,
        a.title, a.description,
        a.owner_id, o.name AS owner_name, o.time_zone AS owner_time_zone,
        a.due_on, a.type AS kind, a.priority, a.status, a.reason, a.tracker_url, a.success_criterion,
        a.check_back_on, a.outcome, a.outcome_note, a.version, a.created_by, c.name AS created_by_name,
        a.created_at, a.updated_at, a.follows_id"
    };
}

const COLUMNS: &str = columns!();

const SELECT: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM action_items a
    JOIN users o ON o.id = a.owner_id
    JOIN users c ON c.id = a.created_by
    JOIN incidents i ON i.id = a.incident_id"
);

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<StoredAction>> {
    let q = format!("{SELECT} WHERE a.id = $1");
    sqlx::query_as::<_, ActionRecord>(&q).bind(id).fetch_optional(db).await?.map(StoredAction::try_from).transpose()
}

/// The incident an item belongs to, for the access check.
pub async fn incident_of(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT incident_id FROM action_items WHERE id = $1").bind(id).fetch_optional(db).await?)
}

/// Locks the row for a read-check-write inside a transaction; returns its version.
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> AppResult<Option<i32>> {
    Ok(sqlx::query_scalar("SELECT version FROM action_items WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// The filters the database applies. `overdue` is judged in each owner's own calendar (`Todays`).
#[derive(Debug, Default)]
pub struct ListFilter {
    /// Only items of incidents this user may see; `None`: public incidents only.
    pub viewer: Option<i64>,
    pub incident: Option<i64>,
    pub owner: Option<i64>,
    pub status: Option<ActionStatus>,
    pub kind: Option<ActionType>,
    pub priority: Option<Priority>,
    pub severity: Option<Severity>,
    pub service: Option<String>,
    /// The owner's team.
    pub team: Option<String>,
    pub overdue: Option<bool>,
    /// Latest due date first.
    pub descending: bool,
    /// One's own list: overdue items first.
    pub mine: bool,
    /// Items after this one in the list's order.
    pub after: Option<ListCursor>,
    pub limit: i64,
}

/// A position in an item list: behind the overdue ones (own list only), then due date and id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListCursor {
    pub later: bool,
    pub due_on: NaiveDate,
    pub id: i64,
}

/// Today's date in each owner time zone, computed by the caller with the same zone rules as
/// everywhere else, so the database judges "overdue" exactly as the pages do.
#[derive(Debug, Default)]
pub struct Todays {
    pub zones: Vec<String>,
    pub days: Vec<NaiveDate>,
}

/// The time zones of the owners of the items `f` may list (narrowed by its incident and owner, so
/// an incident's list costs the same however many people there are).
pub async fn owner_zones(db: impl PgExecutor<'_>, f: &ListFilter) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT o.time_zone FROM action_items a JOIN users o ON o.id = a.owner_id
         WHERE ($1::bigint IS NULL OR a.incident_id = $1) AND ($2::bigint IS NULL OR a.owner_id = $2)",
    )
    .bind(f.incident)
    .bind(f.owner)
    .fetch_all(db)
    .await?)
}

const OVERDUE: &str = "(a.status IN ('open', 'in_progress') AND zt.today IS NOT NULL AND a.due_on < zt.today)";

/// The filtered items' FROM and WHERE; `$1`…`$12` are bound by `bind_filter`.
fn filtered(select: &str) -> String {
    format!(
        "{select} FROM action_items a
            JOIN users o ON o.id = a.owner_id
            JOIN users c ON c.id = a.created_by
            JOIN incidents i ON i.id = a.incident_id
            LEFT JOIN unnest($10::text[], $11::date[]) AS zt(zone, today) ON zt.zone = o.time_zone
         WHERE ($1::bigint IS NULL OR a.incident_id = $1)
            AND ($2::bigint IS NULL OR a.owner_id = $2)
            AND ($3::text IS NULL OR a.status = $3)
            AND ($4::text IS NULL OR a.type = $4)
            AND ($5::text IS NULL OR a.priority = $5)
            AND ($6::text IS NULL OR i.severity = $6)
            AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM unnest(i.services) s WHERE lower(s) = lower($7)))
            AND ($8::text IS NULL OR lower(o.team) = lower($8))
            AND incident_visible(a.incident_id, $9)
            AND ($12::bool IS NULL OR {OVERDUE} = $12)"
    )
}

type Query<'q, O> = sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

fn bind_filter<'q, O>(q: Query<'q, O>, f: &'q ListFilter, t: &'q Todays) -> Query<'q, O> {
    q.bind(f.incident)
        .bind(f.owner)
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.kind.map(|k| k.as_str()))
        .bind(f.priority.map(|p| p.as_str()))
        .bind(f.severity.map(|s| s.as_str()))
        .bind(f.service.as_deref())
        .bind(f.team.as_deref())
        .bind(f.viewer)
        .bind(&t.zones)
        .bind(&t.days)
        .bind(f.overdue)
}

/// By due date, then creation order (one's own list: overdue first); `limit` items after `after`.
pub async fn list(db: impl PgExecutor<'_>, f: &ListFilter, t: &Todays) -> AppResult<Vec<StoredAction>> {
    let (dir, cmp) = if f.descending { ("DESC", "<") } else { ("ASC", ">") };
    let first = format!("(CASE WHEN $13 THEN NOT {OVERDUE} ELSE false END)");
    let q = format!(
        "{} AND ($14::bool IS NULL OR {first} > $14 OR ({first} = $14 AND (a.due_on, a.id) {cmp} ($15, $16)))
         ORDER BY {first}, a.due_on {dir}, a.id {dir} LIMIT $17",
        filtered(&format!("SELECT {COLUMNS}"))
    );
    let after = f.after;
    bind_filter(sqlx::query_as::<_, ActionRecord>(&q), f, t)
        .bind(f.mine)
        .bind(after.map(|c| c.later))
        .bind(after.map(|c| c.due_on))
        .bind(after.map(|c| c.id))
        .bind(f.limit)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(StoredAction::try_from)
        .collect()
}

/// The whole filtered list's figures, by incident, status and whether overdue: (incident, title,
/// status, overdue, how many).
pub async fn tallies(
    db: impl PgExecutor<'_>,
    f: &ListFilter,
    t: &Todays,
) -> AppResult<Vec<(i64, String, String, bool, i64)>> {
    let q = format!(
        "{} GROUP BY 1, 2, 3, 4 ORDER BY 1",
        filtered(&format!("SELECT a.incident_id, i.title, a.status, {OVERDUE}, count(*)"))
    );
    Ok(bind_filter(sqlx::query_as(&q), f, t).fetch_all(db).await?)
}

/// Items still to be done, or done with a check-back date that has come somewhere in the world. The
/// digest goes to a shared channel, so only items of public incidents.
pub async fn digest_candidates(db: impl PgExecutor<'_>, latest_today: NaiveDate) -> AppResult<Vec<StoredAction>> {
    let q = format!(
        "{SELECT} WHERE ((a.status IN ('open', 'in_progress') AND a.due_on < $1)
                OR (a.status = 'done' AND a.outcome IS NULL AND a.check_back_on <= $1))
            AND incident_visible(a.incident_id, NULL)
         ORDER BY o.name, a.owner_id, a.due_on, a.id"
    );
    sqlx::query_as::<_, ActionRecord>(&q)
        .bind(latest_today)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(StoredAction::try_from)
        .collect()
}

pub struct NewAction<'a> {
    pub incident_id: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub owner_id: i64,
    pub due_on: NaiveDate,
    pub kind: ActionType,
    pub priority: Priority,
    pub tracker_url: Option<&'a str>,
    pub success_criterion: &'a str,
    pub check_back_on: Option<NaiveDate>,
    pub follows: Option<i64>,
    pub created_by: i64,
}

pub async fn insert(db: impl PgExecutor<'_>, n: &NewAction<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO action_items (incident_id, title, description, owner_id, due_on, type, priority, tracker_url,
            success_criterion, check_back_on, created_by, follows_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(n.incident_id)
    .bind(n.title)
    .bind(n.description)
    .bind(n.owner_id)
    .bind(n.due_on)
    .bind(n.kind.as_str())
    .bind(n.priority.as_str())
    .bind(n.tracker_url)
    .bind(n.success_criterion)
    .bind(n.check_back_on)
    .bind(n.created_by)
    .bind(n.follows)
    .fetch_one(db)
    .await?)
}

/// Stores every editable field of `a` and bumps the version.
pub async fn update(db: impl PgExecutor<'_>, a: &ActionItem) -> AppResult<()> {
    sqlx::query(
        "UPDATE action_items SET title = $2, description = $3, owner_id = $4, due_on = $5, type = $6, priority = $7,
            status = $8, reason = $9, tracker_url = $10, success_criterion = $11, check_back_on = $12,
            outcome = $13, outcome_note = $14, version = version + 1, updated_at = now()
         WHERE id = $1",
    )
    .bind(a.id)
    .bind(&a.title)
    .bind(&a.description)
    .bind(a.owner)
    .bind(a.due_on)
    .bind(a.kind.as_str())
    .bind(a.priority.as_str())
    .bind(a.status.as_str())
    .bind(a.reason.as_deref())
    .bind(a.tracker_url.as_deref())
    .bind(&a.success_criterion)
    .bind(a.check_back_on)
    .bind(a.outcome.map(|o| o.as_str()))
    .bind(&a.outcome_note)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn insert_change(
    db: impl PgExecutor<'_>,
    action_id: i64,
    author_id: i64,
    field: &str,
    change: Change<'_>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO action_item_changes (action_id, author_id, field, from_value, to_value) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(action_id)
    .bind(author_id)
    .bind(field)
    .bind(change.from)
    .bind(change.to)
    .execute(db)
    .await?;
    Ok(())
}

/// The history of each of `ids`, oldest first, as (action id, change).
pub async fn changes(db: impl PgExecutor<'_>, ids: &[i64]) -> AppResult<Vec<(i64, ActionChange)>> {
    type Row = (i64, i64, String, DateTime<Utc>, String, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.action_id, c.author_id, u.name, c.created_at, c.field, c.from_value, c.to_value
         FROM action_item_changes c JOIN users u ON u.id = c.author_id
         WHERE c.action_id = ANY($1) ORDER BY c.action_id, c.id",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(action_id, author_id, name, at, field, from, to)| {
            (action_id, ActionChange { author: UserRef { id: author_id, name }, at, field, from, to })
        })
        .collect())
}

/// How many of `owner`'s unfinished items were due before `today` (the owner's today).
pub async fn count_overdue(db: impl PgExecutor<'_>, owner: i64, today: NaiveDate) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM action_items
         WHERE owner_id = $1 AND status IN ('open', 'in_progress') AND due_on < $2 AND incident_visible(incident_id, $1)",
    )
    .bind(owner)
    .bind(today)
    .fetch_one(db)
    .await?)
}

/// The ids of the items that follow up `id`, oldest first.
pub async fn follow_ups(db: impl PgExecutor<'_>, id: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM action_items WHERE follows_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db)
        .await?)
}

/// Claims `day` for the digest. `false` when it was already claimed (by this instance or another).
pub async fn claim_digest_day(db: impl PgExecutor<'_>, day: NaiveDate) -> AppResult<bool> {
    let claimed: Option<NaiveDate> =
        sqlx::query_scalar("INSERT INTO digest_runs (day) VALUES ($1) ON CONFLICT DO NOTHING RETURNING day")
            .bind(day)
            .fetch_optional(db)
            .await?;
    Ok(claimed.is_some())
}

/// Who gets a reminder mail, among `owners`: active people who did not unsubscribe.
#[derive(Debug, sqlx::FromRow)]
pub struct Recipient {
    pub id: i64,
    pub email: String,
    pub time_zone: String,
    pub mail_token: String,
}

pub async fn reminder_recipients(db: impl PgExecutor<'_>, owners: &[i64]) -> AppResult<Vec<Recipient>> {
    Ok(sqlx::query_as::<_, Recipient>(
        "SELECT id, email, time_zone, mail_token::text AS mail_token FROM users
         WHERE id = ANY($1) AND active AND kind = 'person' AND email_reminders",
    )
    .bind(owners)
    .fetch_all(db)
    .await?)
}

/// Takes a person's day for their reminder: false when it was already taken (waits for another
/// instance doing the same, then says so).
pub async fn claim_reminder_day(db: impl PgExecutor<'_>, user_id: i64, day: NaiveDate) -> AppResult<bool> {
    let claimed: Option<i64> = sqlx::query_scalar(
        "INSERT INTO reminder_days (user_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id",
    )
    .bind(user_id)
    .bind(day)
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

/// Turns reminder mail off for the person whose link this is; false when the link names no one.
pub async fn unsubscribe(db: impl PgExecutor<'_>, user_id: i64, token: &str) -> AppResult<bool> {
    let done = sqlx::query("UPDATE users SET email_reminders = false WHERE id = $1 AND mail_token::text = $2")
        .bind(user_id)
        .bind(token)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
