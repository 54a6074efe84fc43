//! Incident operations: the one implementation behind the pages' server functions and the REST API.
//! Each validates with the domain rules, writes in one transaction (the change, its timeline event and
//! the live notification together) and returns domain types.

use super::access::{self, no_incident as not_found};
use super::audit;
use super::db::{
    self,
    incidents::ListFilter,
    timeline::{Change, Cursor},
};
use super::markdown;
use super::outbox::Told;
use super::people;
pub use super::people::Person;
use crate::domain::accounts::AuditAction;
use crate::domain::notify::NotifyEvent;
use crate::domain::paging::Page;
use crate::domain::time::{format_duration, incident_duration, parse_occurred_at, stamp, zone};
use crate::domain::validate::{self, check, non_empty, FieldErrors};
use crate::domain::*;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgPool;

/// How many timeline events an incident page shows before offering "earlier events".
pub const PAGE_EVENTS: i64 = 200;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DeclareInput {
    #[schema(required, min_length = 1, max_length = 200, example = "Checkout errors")]
    #[serde(default)]
    pub title: String,
    #[schema(required, value_type = crate::domain::Severity)]
    #[serde(default)]
    pub severity: String,
    #[schema(max_length = 20_000)]
    #[serde(default)]
    pub summary: Option<String>,
    #[schema(max_items = 20)]
    #[serde(default)]
    pub services: Option<Vec<String>>,
    #[schema(format = DateTime)]
    #[serde(default)]
    pub started_at: Option<String>,
    /// Seen only by the people working on it (see `access`).
    #[serde(default)]
    pub private: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct IncidentPatch {
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    #[schema(value_type = Option<crate::domain::IncidentStatus>)]
    #[serde(default)]
    pub status: Option<String>,
    #[schema(value_type = Option<crate::domain::Severity>)]
    #[serde(default)]
    pub severity: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Only the commander or an admin may change this.
    #[serde(default)]
    pub private: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoteInput {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub occurred_at: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    if s.trim().is_empty() {
        return Err("Choose a severity: SEV1 (critical) to SEV4 (low)".into());
    }
    s.parse()
}

#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn declare(pool: &PgPool, user: &User, input: DeclareInput) -> AppResult<Incident> {
    super::access::require_writer(user)?;
    let now = Utc::now();
    let mut errs = FieldErrors::new();
    let title = check(&mut errs, "title", validate::title(&input.title));
    let severity = check(&mut errs, "severity", parse_severity(&input.severity));
    let summary = check(&mut errs, "summary", validate::summary(input.summary.as_deref().unwrap_or("")));
    let services = check(&mut errs, "services", validate::services_list(input.services.as_deref().unwrap_or(&[])));
    let started_at = match non_empty(&input.started_at) {
        None => Some(now),
        Some(s) => check(&mut errs, "started_at", parse_occurred_at(s, zone(user), now)),
    };
    let (Some(title), Some(severity), Some(summary), Some(services), Some(started_at)) =
        (title, severity, summary, services, started_at)
    else {
        return Err(AppError::fields(errs));
    };

    let mut tx = pool.begin().await?;
    let id = db::incidents::insert(
        &mut *tx,
        &db::incidents::NewIncident {
            title: &title,
            severity,
            summary: &summary,
            services: &services,
            started_at,
            declared_by: user.id,
            private: input.private.unwrap_or(false),
        },
    )
    .await?;
    let body = format!("{} declared the incident as {severity}: {title}", user.name);
    record(&mut tx, id, user, EventKind::Declared, &body, Change::set(severity.as_str()), now).await?;
    if started_at < now - chrono::Duration::seconds(60) {
        let body = "Impact began (backfilled when the incident was declared)";
        record(&mut tx, id, user, EventKind::Note, body, Change::NONE, started_at).await?;
    }
    let incident = load(&mut *tx, id).await?;
    let what = format!("declared as {severity}");
    let told = Told { event: NotifyEvent::Declared, what, detail: summary, path: None, actor: user };
    super::outbox::tell(&mut tx, &incident, [told]).await?;
    db::incidents::notify(&mut *tx, id, "declared").await?;
    tx.commit().await?;
    Ok(incident)
}

/// Writes a generated (plain-text) timeline event.
pub(super) async fn record(
    tx: &mut sqlx::PgConnection,
    incident_id: i64,
    user: &User,
    kind: EventKind,
    body: &str,
    change: Change<'_>,
    occurred_at: DateTime<Utc>,
) -> AppResult<i64> {
    let html = format!("<p>{}</p>", markdown::escape(body));
    db::timeline::insert(
        tx,
        &db::timeline::NewEvent {
            incident_id,
            kind,
            author_id: user.id,
            body,
            body_html: &html,
            change,
            key: None,
            occurred_at,
        },
    )
    .await
}

/// The incident, if `viewer` may see it.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, id))]
pub async fn get(pool: &PgPool, viewer: &User, id: i64) -> AppResult<Incident> {
    let mut conn = pool.acquire().await?;
    access::see_incident(&mut *conn, viewer, id).await?;
    load(&mut *conn, id).await
}

/// The incident with its milestones, as `GET /api/v1/incidents/{id}` answers.
pub async fn get_with_milestones(pool: &PgPool, viewer: &User, id: i64) -> AppResult<Incident> {
    let mut conn = pool.acquire().await?;
    access::see_incident(&mut *conn, viewer, id).await?;
    let mut incident = load(&mut *conn, id).await?;
    incident.milestones = Some(db::milestones::of(&mut *conn, id).await?);
    Ok(incident)
}

/// Reads an incident whose access the caller has already decided.
pub(super) async fn load(db: impl sqlx::PgExecutor<'_>, id: i64) -> AppResult<Incident> {
    db::incidents::get(db, id).await?.ok_or_else(|| not_found(id))
}

/// The list's filters and page as typed (the page's GET form or the API's query string).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

pub fn parse_filter(p: &ListParams) -> AppResult<ListFilter> {
    let mut errs = FieldErrors::new();
    let status = non_empty(&p.status).and_then(|s| check(&mut errs, "status", s.parse()));
    let severity = non_empty(&p.severity).and_then(|s| check(&mut errs, "severity", s.parse()));
    let after = non_empty(&p.cursor).and_then(|c| check(&mut errs, "cursor", parse_list_cursor(c)));
    let limit = check(&mut errs, "limit", crate::domain::paging::limit(p.limit.as_deref()));
    match limit {
        Some(limit) if errs.is_empty() => Ok(ListFilter { status, severity, after, limit }),
        _ => Err(AppError::fields(errs)),
    }
}

/// `<finished 0|1>_<started, unix micros>_<id>`.
fn parse_list_cursor(s: &str) -> Result<db::incidents::ListCursor, String> {
    let p = crate::domain::paging::cursor_parts(s, 3)?;
    let bad = || "That page link is not valid: start from the first page".to_string();
    Ok(db::incidents::ListCursor {
        finished: p[0] == "1",
        started_at: p[1].parse().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(bad)?,
        id: p[2].parse().map_err(|_| bad())?,
    })
}

fn list_cursor(i: &Incident) -> String {
    format!("{}_{}_{}", u8::from(!i.status.is_open()), i.started_at.timestamp_micros(), i.id)
}

/// One page of the incidents `viewer` may see, with the whole list's count.
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn list(pool: &PgPool, viewer: &User, filter: &ListFilter) -> AppResult<Page<Incident>> {
    let mut conn = pool.acquire().await?;
    let rows = db::incidents::list(&mut *conn, viewer.id, &ListFilter { limit: filter.limit + 1, ..*filter }).await?;
    let total = db::incidents::count(&mut *conn, viewer.id, filter).await?;
    Ok(Page::from_rows(rows, filter.limit, total, list_cursor))
}

/// The current incident as a conflict payload, so the client can show what changed.
async fn conflict(tx: &mut sqlx::PgConnection, id: i64) -> AppResult<AppError> {
    let current = db::incidents::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    Ok(AppError::Conflict {
        message: format!(
            "Someone else changed {} first (it is now {} and {}). Review the current state and try again.",
            current.reference, current.status, current.severity
        ),
        current: serde_json::to_value(&current).ok(),
        values: Default::default(),
    })
}

#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn update(pool: &PgPool, user: &User, id: i64, patch: IncidentPatch) -> AppResult<Incident> {
    super::access::require_writer(user)?;
    let mut errs = FieldErrors::new();
    let version = check(
        &mut errs,
        "version",
        patch.version.ok_or_else(|| "version is required: send the version you read".to_string()),
    );
    let status: Option<IncidentStatus> = non_empty(&patch.status).and_then(|s| check(&mut errs, "status", s.parse()));
    let severity: Option<Severity> = non_empty(&patch.severity).and_then(|s| check(&mut errs, "severity", s.parse()));
    let title = patch.title.as_deref().and_then(|t| check(&mut errs, "title", validate::title(t)));
    let summary = patch.summary.as_deref().and_then(|s| check(&mut errs, "summary", validate::summary(s)));
    if !errs.is_empty() {
        return Err(AppError::fields(errs));
    }
    let version = version.unwrap_or_default();

    let now = Utc::now();
    let mut tx = pool.begin().await?;
    access::see_incident(&mut *tx, user, id).await?;
    let (cur_status, cur_severity, cur_version) =
        db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let current = load(&mut *tx, id).await?;
    // Who may see it is decided before anything else about the change.
    let private = patch.private.filter(|p| *p != current.private);
    if private.is_some() {
        access::manage_access(user, &current)?;
    }
    if cur_version != version {
        return Err(conflict(&mut tx, id).await?);
    }
    if private.is_some() && cur_status == IncidentStatus::Closed {
        return Err(AppError::invalid("private", "A closed incident cannot be made private or public"));
    }
    // Asking only for the status it already has is a mistake worth saying; alongside other changes
    // (a client sending the whole incident back) it is simply no change.
    let only_status = severity.is_none() && title.is_none() && summary.is_none() && patch.private.is_none();
    if status == Some(cur_status) && only_status {
        cur_status.check_transition(cur_status).map_err(|m| AppError::invalid("status", m))?;
    }
    let status = status.filter(|s| *s != cur_status);
    let severity = severity.filter(|s| *s != cur_severity);
    if let Some(to) = status {
        cur_status.check_transition(to).map_err(|m| AppError::invalid("status", m))?;
    }
    if cur_status == IncidentStatus::Closed && (severity.is_some() || title.is_some() || summary.is_some()) {
        return Err(AppError::invalid("status", "a closed incident cannot be changed"));
    }
    let title = title.filter(|t| *t != current.title);
    let summary = summary.filter(|s| *s != current.summary);
    if status.is_none() && severity.is_none() && title.is_none() && summary.is_none() && private.is_none() {
        tx.rollback().await?;
        return Ok(current);
    }

    let update = db::incidents::Update {
        status: status.unwrap_or(cur_status),
        severity: severity.unwrap_or(cur_severity),
        title: title.as_deref(),
        summary: summary.as_deref(),
    };
    db::incidents::update(&mut *tx, id, &update).await?;
    if let Some(to) = status {
        let body = format!("{} changed the status from {} to {}", user.name, cur_status.label(), to.label());
        record(&mut tx, id, user, EventKind::Status, &body, Change::between(cur_status.as_str(), to.as_str()), now)
            .await?;
    }
    if let Some(to) = severity {
        let body = format!("{} changed the severity from {cur_severity} to {to}", user.name);
        let change = Change::between(cur_severity.as_str(), to.as_str());
        record(&mut tx, id, user, EventKind::Severity, &body, change, now).await?;
    }
    if let Some(t) = &title {
        let body = format!("{} renamed the incident to \u{201c}{t}\u{201d}", user.name);
        record(&mut tx, id, user, EventKind::Title, &body, Change::between(&current.title, t), now).await?;
    }
    if summary.is_some() {
        let body = format!("{} updated the summary", user.name);
        record(&mut tx, id, user, EventKind::Summary, &body, Change::NONE, now).await?;
    }
    if let Some(p) = private {
        db::incidents::set_private(&mut *tx, id, p).await?;
        let (from, to, body) = if p {
            (
                "public",
                "private",
                format!("{} made the incident private: only its people and admins can see it", user.name),
            )
        } else {
            ("private", "public", format!("{} made the incident public", user.name))
        };
        record(&mut tx, id, user, EventKind::Visibility, &body, Change::between(from, to), now).await?;
        let action = if p { AuditAction::IncidentMadePrivate } else { AuditAction::IncidentMadePublic };
        let object = audit::Object::incident(id, title.as_deref().unwrap_or(&current.title));
        audit::record(&mut *tx, user, action, object, Some(audit::change("visibility", from, to))).await?;
    }
    let after = load(&mut *tx, id).await?;
    super::outbox::tell(&mut tx, &after, changes_told(user, cur_status, cur_severity, status, severity)).await?;
    db::incidents::notify(&mut *tx, id, "updated").await?;
    tx.commit().await?;
    Ok(after)
}

/// What destinations hear of a status or severity change: a move to resolved is its own event.
fn changes_told(
    user: &User,
    from_status: IncidentStatus,
    from_severity: Severity,
    status: Option<IncidentStatus>,
    severity: Option<Severity>,
) -> Vec<Told<'_>> {
    let told = |event, what| Told { event, what, detail: String::new(), path: None, actor: user };
    let mut out = Vec::new();
    if let Some(to) = severity {
        out.push(told(NotifyEvent::SeverityChanged, format!("now {to} (was {from_severity})")));
    }
    match status {
        Some(IncidentStatus::Resolved) => out.push(told(NotifyEvent::Resolved, "resolved".into())),
        Some(to) => out.push(told(
            NotifyEvent::StatusChanged,
            format!("status is now {} (was {})", to.label(), from_status.label()),
        )),
        None => {}
    }
    out
}

/// Assigns (or, with `None`, clears) a role. `version` is optional: taking a role is idempotent and
/// must be one click even when the page is a little stale.
#[tracing::instrument(skip_all, fields(user = user.id, id, assignee = ?assignee))]
pub async fn assign_role(
    pool: &PgPool,
    user: &User,
    id: i64,
    role: &str,
    assignee: Option<i64>,
    version: Option<i32>,
) -> AppResult<Incident> {
    super::access::require_writer(user)?;
    let role: Role = role.parse().map_err(|m: String| AppError::invalid("role", m))?;
    let mut tx = pool.begin().await?;
    access::see_incident(&mut *tx, user, id).await?;
    let (status, _, cur_version) = db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    if version.is_some_and(|v| v != cur_version) {
        return Err(conflict(&mut tx, id).await?);
    }
    if status == IncidentStatus::Closed {
        return Err(AppError::invalid("role", "a closed incident cannot be changed"));
    }
    let assignee = match assignee {
        Some(uid) => {
            let person =
                db::users::by_id(&mut *tx, uid).await?.ok_or_else(|| AppError::invalid("user_id", "No such user"))?;
            access::require_can_take_work(&person, "hold an incident role")
                .map_err(|m| AppError::invalid("user_id", m))?;
            Some(person)
        }
        None => None,
    };
    let current = db::incidents::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let before = current.role_holder(role).cloned();
    if before.as_ref().map(|u| u.id) == assignee.as_ref().map(|u| u.id) {
        tx.rollback().await?;
        return Ok(current);
    }
    db::incidents::set_role(&mut *tx, id, role, assignee.as_ref().map(|u| u.id)).await?;
    let body = match (&assignee, &before) {
        (Some(a), _) if a.id == user.id => format!("{} took the {} role", user.name, role.label().to_lowercase()),
        (Some(a), _) => format!("{} made {} {}", user.name, a.name, role.label().to_lowercase()),
        (None, Some(b)) => format!("{} removed {} as {}", user.name, b.name, role.label().to_lowercase()),
        (None, None) => format!("{} cleared the {} role", user.name, role.label().to_lowercase()),
    };
    let change =
        Change { from: before.as_ref().map(|b| b.name.as_str()), to: assignee.as_ref().map(|a| a.name.as_str()) };
    record(&mut tx, id, user, EventKind::Role, &body, change, Utc::now()).await?;
    db::incidents::notify(&mut *tx, id, "role").await?;
    tx.commit().await?;
    load(pool, id).await
}

/// Who is being added or removed (an id from the API, a name or email typed into "Add people"),
/// checked here so the page and the API say the same.
async fn participant(tx: &mut sqlx::PgConnection, who: &Person) -> AppResult<User> {
    let field = if matches!(who, Person::Id(_)) { "user_id" } else { "person" };
    people::find(tx, who, field).await
}

/// Locks the incident for a change of who may see it, after checking the actor may make it.
async fn lock_for_access(tx: &mut sqlx::PgConnection, user: &User, id: i64) -> AppResult<Incident> {
    access::require_writer(user)?;
    access::see_incident(&mut *tx, user, id).await?;
    db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let current = load(&mut *tx, id).await?;
    access::manage_access(user, &current)?;
    Ok(current)
}

/// Adds someone to the incident so that they may see it while it is private. Adding someone who
/// already is a participant changes nothing.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn add_participant(pool: &PgPool, user: &User, id: i64, who: &Person) -> AppResult<Incident> {
    let mut tx = pool.begin().await?;
    let current = lock_for_access(&mut tx, user, id).await?;
    let person = participant(&mut tx, who).await?;
    if !person.active {
        let field = if matches!(who, Person::Id(_)) { "user_id" } else { "person" };
        return Err(AppError::invalid(field, format!("{} has been deactivated", person.name)));
    }
    if db::incidents::add_participant(&mut *tx, id, person.id, user.id).await? {
        let body = format!("{} added {} to the incident", user.name, person.name);
        record(&mut tx, id, user, EventKind::Participants, &body, Change::set(&person.name), Utc::now()).await?;
        let object = audit::Object::incident(id, &current.title);
        let change = Some(serde_json::json!({ "participant": { "id": person.id, "name": person.name } }));
        audit::record(&mut *tx, user, AuditAction::ParticipantAdded, object, change).await?;
        db::incidents::notify(&mut *tx, id, "participants").await?;
    }
    tx.commit().await?;
    load(pool, id).await
}

/// Removes a participant. It takes effect at once: their open live stream ends at this change, and
/// their next request is a 404 unless a role, an action item or admin rights still let them see it.
#[tracing::instrument(skip_all, fields(user = user.id, id, user_id))]
pub async fn remove_participant(pool: &PgPool, user: &User, id: i64, user_id: i64) -> AppResult<Incident> {
    let mut tx = pool.begin().await?;
    let current = lock_for_access(&mut tx, user, id).await?;
    let person = participant(&mut tx, &Person::Id(user_id)).await?;
    if !db::incidents::remove_participant(&mut *tx, id, person.id).await? {
        return Err(AppError::NotFound(format!("{} is not a participant of {}", person.name, current.reference)));
    }
    let body = format!("{} removed {} from the incident", user.name, person.name);
    record(&mut tx, id, user, EventKind::Participants, &body, Change::unset(&person.name), Utc::now()).await?;
    let change = Some(serde_json::json!({ "participant": { "id": person.id, "name": person.name } }));
    audit::record(&mut *tx, user, AuditAction::ParticipantRemoved, audit::Object::incident(id, &current.title), change)
        .await?;
    db::incidents::notify(&mut *tx, id, "participants").await?;
    tx.commit().await?;
    load(pool, id).await
}

/// Closes an incident (inside the caller's transaction): by publishing its postmortem, or without
/// one when `reason` says why. Closing a closed incident changes nothing.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn close(tx: &mut sqlx::PgConnection, user: &User, id: i64, reason: Option<&str>) -> AppResult<Incident> {
    let (status, severity, _) = db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    if status != IncidentStatus::Closed {
        let closed = db::incidents::Update { status: IncidentStatus::Closed, severity, title: None, summary: None };
        db::incidents::update(&mut *tx, id, &closed).await?;
        db::incidents::set_close_reason(&mut *tx, id, reason).await?;
        let body = match reason {
            Some(r) => format!("{} closed the incident without a postmortem: {r}", user.name),
            None => format!("{} published the postmortem, closing the incident", user.name),
        };
        record(tx, id, user, EventKind::Status, &body, Change::between(status.as_str(), "closed"), Utc::now()).await?;
        db::incidents::notify(&mut *tx, id, "closed").await?;
    }
    db::incidents::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))
}

/// Closes a resolved incident that needs no postmortem; the reason is kept on the timeline.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn close_without_postmortem(pool: &PgPool, user: &User, id: i64, reason: &str) -> AppResult<Incident> {
    super::access::require_writer(user)?;
    let reason = validate::close_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
    let mut tx = pool.begin().await?;
    access::see_incident(&mut *tx, user, id).await?;
    let (status, ..) = db::incidents::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    if status != IncidentStatus::Resolved {
        return Err(AppError::invalid("status", format!("Only a resolved incident can be closed (it is {status})")));
    }
    let incident = close(&mut tx, user, id, Some(&reason)).await?;
    tx.commit().await?;
    Ok(incident)
}

#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn add_note(pool: &PgPool, user: &User, id: i64, input: NoteInput) -> AppResult<TimelineEvent> {
    super::access::require_writer(user)?;
    let now = Utc::now();
    let mut errs = FieldErrors::new();
    let body = check(&mut errs, "body", validate::note(&input.body));
    let occurred_at = match non_empty(&input.occurred_at) {
        None => Some(now),
        Some(s) => check(&mut errs, "occurred_at", parse_occurred_at(s, zone(user), now)),
    };
    let key: Option<Option<KeyKind>> = match non_empty(&input.key) {
        None => Some(None),
        Some(k) => check(&mut errs, "key", k.parse().map(Some)),
    };
    let (Some(body), Some(occurred_at), Some(key)) = (body, occurred_at, key) else {
        return Err(AppError::fields(errs));
    };
    let html = markdown::render(&body);
    let mut tx = pool.begin().await?;
    access::see_incident(&mut *tx, user, id).await?;
    // A shared row lock: notes may be appended concurrently, but not to an incident being deleted.
    db::incidents::share_lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let event_id = db::timeline::insert(
        &mut *tx,
        &db::timeline::NewEvent {
            incident_id: id,
            kind: EventKind::Note,
            author_id: user.id,
            body: &body,
            body_html: &html,
            change: Change::NONE,
            key,
            occurred_at,
        },
    )
    .await?;
    db::incidents::notify(&mut *tx, id, "note").await?;
    tx.commit().await?;
    db::timeline::get(pool, event_id).await?.ok_or_else(|| AppError::not_found("event"))
}

/// A page of the timeline, oldest first (`cursor`, `limit` as in every list), with the event count.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, id))]
pub async fn timeline(
    pool: &PgPool,
    viewer: &User,
    id: i64,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> AppResult<Page<TimelineEvent>> {
    let mut errs = FieldErrors::new();
    let after = cursor.map(str::trim).filter(|c| !c.is_empty()).and_then(|c| {
        check(
            &mut errs,
            "cursor",
            parse_cursor(c).ok_or_else(|| "That page link is not valid: start from the first page".to_string()),
        )
    });
    let limit = check(&mut errs, "limit", crate::domain::paging::limit(limit));
    let Some(limit) = limit.filter(|_| errs.is_empty()) else {
        return Err(AppError::fields(errs));
    };
    let mut conn = pool.acquire().await?;
    access::see_incident(&mut *conn, viewer, id).await?;
    let rows = db::timeline::page(&mut *conn, id, after, limit + 1).await?;
    let total = db::timeline::count(&mut *conn, id).await?;
    Ok(Page::from_rows(rows, limit, total, cursor_of))
}

/// `before` cursors are `<unix micros>_<event id>`.
pub fn parse_cursor(s: &str) -> Option<Cursor> {
    let (t, id) = s.split_once('_')?;
    Some(Cursor { occurred_at: DateTime::from_timestamp_micros(t.parse().ok()?)?, id: id.parse().ok()? })
}

fn cursor_of(e: &TimelineEvent) -> String {
    format!("{}_{}", e.occurred_at.timestamp_micros(), e.id)
}

/// The list page's rows, dated in the viewer's zone.
pub fn rows(incidents: Page<Incident>, viewer: &User) -> Page<IncidentRow> {
    let tz = zone(viewer);
    let now = Utc::now();
    incidents.map(|i| IncidentRow {
        started: stamp(i.started_at, tz),
        duration: format_duration(incident_duration(i.started_at, i.resolved_at, now)),
        incident: i,
    })
}

/// Everything the incident page shows, on one connection. `pick` is a role search (`role`, what was
/// typed): its matches are the only people the page lists.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, id))]
pub async fn page(
    pool: &PgPool,
    viewer: &User,
    id: i64,
    before: Option<&str>,
    pick: Option<(&str, &str)>,
) -> AppResult<IncidentPage> {
    let tz = zone(viewer);
    let now = Utc::now();
    let mut conn = pool.acquire().await?;
    access::see_incident(&mut *conn, viewer, id).await?;
    let incident = load(&mut *conn, id).await?;
    let before = before.and_then(parse_cursor);
    let events = db::timeline::window(&mut *conn, id, before, PAGE_EVENTS + 1).await?;
    let (older, events) = if events.len() as i64 > PAGE_EVENTS {
        let rest = events[1..].to_vec();
        (rest.first().map(cursor_of), rest)
    } else {
        (None, events)
    };
    let total_events = db::timeline::count(&mut *conn, id).await?;
    let milestones = db::milestones::of(&mut *conn, id).await?.rows(tz);
    let actions = super::actions::incident_list(&mut conn, viewer, id).await?;
    let latest_update = super::updates::latest_on(&mut conn, viewer, id, incident.status.is_open()).await?;
    let pick = match pick.map(|(r, q)| (r.parse::<Role>(), q.trim())) {
        Some((Ok(role), q)) if !q.is_empty() => {
            let q: String = q.chars().take(validate::QUERY_MAX).collect();
            // Role holders must be able to write.
            let matches = db::users::search(&mut *conn, &q, 10, true).await?;
            Some(PeoplePick {
                role,
                query: q,
                matches: matches.into_iter().map(|u| UserRef { id: u.id, name: u.name }).collect(),
            })
        }
        _ => None,
    };
    let events = events
        .into_iter()
        .map(|e| EventRow {
            occurred: stamp(e.occurred_at, tz),
            // Shown only when the event was backfilled noticeably after it happened.
            recorded: (e.recorded_at - e.occurred_at > chrono::Duration::seconds(120))
                .then(|| stamp(e.recorded_at, tz)),
            event: e,
        })
        .collect();
    Ok(IncidentPage {
        started: stamp(incident.started_at, tz),
        resolved: incident.resolved_at.map(|t| stamp(t, tz)),
        duration: format_duration(incident_duration(incident.started_at, incident.resolved_at, now)),
        incident,
        events,
        older,
        total_events,
        pick,
        actions,
        latest_update,
        milestones,
        me: viewer.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = parse_cursor("1763875414000000_42").unwrap();
        assert_eq!(c.id, 42);
        assert_eq!(c.occurred_at.timestamp(), 1_763_875_414);
        assert!(parse_cursor("nope").is_none());
        assert!(parse_cursor("1_x").is_none());
    }

    fn params(status: &str, severity: &str, cursor: &str, limit: &str) -> ListParams {
        let s = |v: &str| Some(v.to_string());
        ListParams { status: s(status), severity: s(severity), cursor: s(cursor), limit: s(limit) }
    }

    #[test]
    fn filters_reject_unknown_values() {
        assert!(parse_filter(&params("investigating", "SEV1", "", "")).is_ok());
        let e = parse_filter(&params("sleeping", "", "nope", "500")).unwrap_err();
        assert!(e.field("status").unwrap().contains("unknown status"));
        assert!(e.field("cursor").is_some() && e.field("limit").is_some(), "{e:?}");
    }

    #[test]
    fn list_cursors_round_trip() {
        let f = parse_filter(&params("", "", "1_1763875414000000_42", "10")).unwrap();
        let c = f.after.unwrap();
        assert!(c.finished && c.id == 42 && c.started_at.timestamp() == 1_763_875_414);
        assert_eq!(f.limit, 10);
    }
}
