//! Action item operations: the one implementation behind the REST API and the pages' server functions.
//! Every change is written with its history rows in one transaction; `overdue` is computed in each
//! owner's own time zone.

use super::access;
use super::db::{self, actions::ListFilter, actions::StoredAction};
use super::markdown;
use super::people::{self, Person};
use crate::domain::actions::{
    self as rules, check_back_due, is_overdue, tally, today_in, ActionChange, ActionItem, ActionList, ActionPage,
    ActionStatus, ActionType, ChangeRow, IncidentCounts, Outcome, Priority,
};
use crate::domain::notify::{html_escape, Mail, NotifyEvent, PersonalMail};
use crate::domain::paging::Page;
use crate::domain::time::{parse_zone, stamp, zone};
use crate::domain::validate::{self, non_empty, FieldErrors};
use crate::domain::{incident_ref, Severity, User, UserRef};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewActionInput {
    #[schema(required, min_length = 1, max_length = 200, example = "Alert on the checkout error rate")]
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The owner: a user id, or a name or email.
    #[serde(default)]
    pub owner: Option<Person>,
    #[schema(required, format = Date)]
    #[serde(default)]
    pub due_on: String,
    #[schema(required, value_type = crate::domain::actions::ActionType)]
    #[serde(default, rename = "type")]
    pub kind: String,
    #[schema(required, value_type = crate::domain::actions::Priority)]
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub tracker_url: Option<String>,
    #[serde(default)]
    pub success_criterion: Option<String>,
    #[schema(format = Date)]
    #[serde(default)]
    pub check_back_on: Option<String>,
}

/// Only the fields present change. An empty `tracker_url`, `check_back_on` or `reason` clears it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActionPatch {
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub owner: Option<Person>,
    #[serde(default)]
    pub due_on: Option<String>,
    #[schema(value_type = Option<crate::domain::actions::ActionType>)]
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[schema(value_type = Option<crate::domain::actions::Priority>)]
    #[serde(default)]
    pub priority: Option<String>,
    #[schema(value_type = Option<crate::domain::actions::ActionStatus>)]
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub tracker_url: Option<String>,
    #[serde(default)]
    pub success_criterion: Option<String>,
    #[serde(default)]
    pub check_back_on: Option<String>,
}

/// The list's query parameters as typed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub incident: Option<String>,
    /// A user id, or `me`.
    pub owner: Option<String>,
    pub status: Option<String>,
    pub overdue: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
    /// The owner's team.
    pub team: Option<String>,
    /// `due` (soonest first, the default) or `-due` (latest first).
    pub sort: Option<String>,
    /// Where the page starts (the previous page's `next`).
    pub cursor: Option<String>,
    /// Items per page.
    pub limit: Option<String>,
}

#[derive(Debug)]
pub struct ListQuery {
    pub filter: ListFilter,
    /// Fill in each item's change history (tables do not show it).
    pub history: bool,
}

fn not_found(id: i64) -> AppError {
    AppError::no_action_item(id)
}

fn required<T: std::str::FromStr<Err = String>>(s: &str, missing: &str) -> Result<T, String> {
    if s.trim().is_empty() {
        return Err(missing.to_string());
    }
    s.parse()
}

fn due_date(s: &str) -> Result<NaiveDate, String> {
    if s.trim().is_empty() {
        return Err("Give the item a due date (YYYY-MM-DD)".into());
    }
    rules::date(s)
}

fn optional_date(s: &str) -> Result<Option<NaiveDate>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        rules::date(s).map(Some)
    }
}

/// The calendar date for an owner; an unknown zone name counts as UTC.
pub fn owner_today(time_zone: &str, now: DateTime<Utc>) -> NaiveDate {
    today_in(parse_zone(time_zone).unwrap_or(Tz::UTC), now)
}

fn finish(stored: StoredAction, now: DateTime<Utc>) -> ActionItem {
    let mut item = stored.item;
    let today = owner_today(&stored.owner_time_zone, now);
    item.overdue = is_overdue(item.due_on, item.status, today);
    item.check_back_due = item.status == ActionStatus::Done && check_back_due(item.check_back_on, item.outcome, today);
    item
}

async fn with_history(db: impl sqlx::PgExecutor<'_>, mut items: Vec<ActionItem>) -> AppResult<Vec<ActionItem>> {
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let mut by_item: HashMap<i64, Vec<ActionChange>> = HashMap::new();
    for (id, change) in db::actions::changes(db, &ids).await? {
        by_item.entry(id).or_default().push(change);
    }
    for item in &mut items {
        item.history = by_item.remove(&item.id).unwrap_or_default();
    }
    Ok(items)
}

/// The item, if `viewer` may see its incident (otherwise the 404 of a missing item).
#[tracing::instrument(skip_all, fields(viewer = viewer.id, id))]
pub async fn get(pool: &PgPool, viewer: &User, id: i64) -> AppResult<ActionItem> {
    let mut conn = pool.acquire().await?;
    see_item(&mut conn, viewer, id).await?;
    load(&mut conn, id).await
}

/// Ok when the item exists and `viewer` may see its incident.
async fn see_item(conn: &mut sqlx::PgConnection, viewer: &User, id: i64) -> AppResult<()> {
    let incident_id = db::actions::incident_of(&mut *conn, id).await?.ok_or_else(|| not_found(id))?;
    access::see_incident(&mut *conn, viewer, incident_id).await.map_err(|_| not_found(id))
}

/// Reads an item whose access the caller has already decided.
async fn load(conn: &mut sqlx::PgConnection, id: i64) -> AppResult<ActionItem> {
    let stored = db::actions::get(&mut *conn, id).await?.ok_or_else(|| not_found(id))?;
    let item = finish(stored, Utc::now());
    Ok(with_history(conn, vec![item]).await?.remove(0))
}

/// A field's problem joins `errs`; any other failure stays a failure.
fn collect<T>(errs: &mut FieldErrors, r: AppResult<T>) -> AppResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::Invalid { fields, .. }) if !fields.is_empty() => {
            errs.extend(fields);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The owner named on a form: someone who exists and may do the work.
async fn owner(conn: &mut sqlx::PgConnection, who: &Person) -> AppResult<User> {
    let u = match who {
        Person::Id(id) => {
            db::users::by_id(&mut *conn, *id).await?.ok_or_else(|| AppError::invalid("owner", "No such user"))?
        }
        named => people::find(conn, named, "owner").await?,
    };
    access::require_can_take_work(&u, "own action items").map_err(|m| AppError::invalid("owner", m))?;
    Ok(u)
}

#[tracing::instrument(skip_all, fields(user = user.id, incident_id))]
pub async fn create(pool: &PgPool, user: &User, incident_id: i64, input: NewActionInput) -> AppResult<ActionItem> {
    super::access::require_writer(user)?;
    let mut errs = FieldErrors::new();
    let title = validate::check(&mut errs, "title", rules::title(&input.title));
    let description =
        validate::check(&mut errs, "description", rules::description(input.description.as_deref().unwrap_or("")));
    let due_on = validate::check(&mut errs, "due_on", due_date(&input.due_on));
    let kind: Option<ActionType> = validate::check(
        &mut errs,
        "type",
        required(&input.kind, "Choose a type: prevent, mitigate, observability, alerting, self_healing or process"),
    );
    let priority: Option<Priority> =
        validate::check(&mut errs, "priority", required(&input.priority, "Choose a priority: P1, P2 or P3"));
    let tracker_url =
        validate::check(&mut errs, "tracker_url", rules::tracker_url(input.tracker_url.as_deref().unwrap_or("")));
    let success_criterion = validate::check(
        &mut errs,
        "success_criterion",
        rules::success_criterion(input.success_criterion.as_deref().unwrap_or("")),
    );
    let check_back_on =
        validate::check(&mut errs, "check_back_on", optional_date(input.check_back_on.as_deref().unwrap_or("")));
    let mut tx = pool.begin().await?;
    // Looked up beside the other checks, so a mistyped owner shows with every other problem.
    let owner = match &input.owner {
        None => validate::check(&mut errs, "owner", Err("Choose who owns this item".to_string())),
        Some(who) => collect(&mut errs, self::owner(&mut tx, who).await)?.map(|u| u.id),
    };
    let (
        Some(title),
        Some(description),
        Some(owner),
        Some(due_on),
        Some(kind),
        Some(priority),
        Some(tracker_url),
        Some(success_criterion),
        Some(check_back_on),
    ) = (title, description, owner, due_on, kind, priority, tracker_url, success_criterion, check_back_on)
    else {
        return Err(AppError::fields(errs));
    };

    access::see_incident(&mut *tx, user, incident_id).await?;
    db::incidents::share_lock(&mut *tx, incident_id).await?.ok_or_else(|| access::no_incident(incident_id))?;
    let id = db::actions::insert(
        &mut *tx,
        &db::actions::NewAction {
            incident_id,
            title: &title,
            description: &description,
            owner_id: owner,
            due_on,
            kind,
            priority,
            tracker_url: tracker_url.as_deref(),
            success_criterion: &success_criterion,
            check_back_on,
            follows: None,
            created_by: user.id,
        },
    )
    .await?;
    db::incidents::notify(&mut *tx, incident_id, "action").await?;
    tx.commit().await?;
    load(&mut *pool.acquire().await?, id).await
}

/// Creates the follow-up of an item whose check-back said it did not work, in one step. Asking twice
/// gives the follow-up already made rather than a duplicate; the flag says whether one was created.
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn follow_up(pool: &PgPool, user: &User, id: i64) -> AppResult<(ActionItem, bool)> {
    super::access::require_writer(user)?;
    let mut tx = pool.begin().await?;
    see_item(&mut tx, user, id).await?;
    db::actions::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    if let Some(existing) = db::actions::follow_ups(&mut *tx, id).await?.first() {
        let item = load(&mut tx, *existing).await?;
        tx.rollback().await?;
        return Ok((item, false));
    }
    let stored = db::actions::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let today = owner_today(&stored.owner_time_zone, Utc::now());
    let item = stored.item;
    let draft = rules::follow_up_draft(&item, today).ok_or_else(|| {
        AppError::invalid("outcome", "Only an item whose check-back said \"did not work\" gets a follow-up this way")
    })?;
    let new_id = db::actions::insert(
        &mut *tx,
        &db::actions::NewAction {
            incident_id: item.incident_id,
            title: &draft.title,
            description: &draft.description,
            owner_id: item.owner,
            due_on: draft.due_on,
            kind: item.kind,
            priority: item.priority,
            tracker_url: None,
            success_criterion: &draft.success_criterion,
            check_back_on: None,
            follows: Some(id),
            created_by: user.id,
        },
    )
    .await?;
    db::incidents::notify(&mut *tx, item.incident_id, "action").await?;
    tx.commit().await?;
    Ok((load(&mut *pool.acquire().await?, new_id).await?, true))
}

/// How many of the user's own items are overdue in their calendar, for the badge in the top bar.
#[tracing::instrument(skip_all, fields(user = user.id))]
pub async fn overdue_count(pool: &PgPool, user: &User) -> AppResult<i64> {
    db::actions::count_overdue(pool, user.id, owner_today(&user.time_zone, Utc::now())).await
}

/// Everything the item page shows.
#[tracing::instrument(skip_all, fields(viewer = viewer.id, id))]
pub async fn page(pool: &PgPool, viewer: &User, id: i64) -> AppResult<ActionPage> {
    let mut conn = pool.acquire().await?;
    see_item(&mut conn, viewer, id).await?;
    let item = load(&mut conn, id).await?;
    let tz = zone(viewer);
    Ok(ActionPage {
        description_html: markdown::render(&item.description),
        created: stamp(item.created_at, tz),
        history: item.history.iter().map(|c| ChangeRow { at: stamp(c.at, tz), change: c.clone() }).collect(),
        follow_ups: db::actions::follow_ups(&mut *conn, id).await?,
        item,
        me: viewer.clone(),
    })
}

/// A list page: the items `params` asks for, with their figures; `choices` also fills the filter
/// form's teams (only the overview needs them).
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn list_page(pool: &PgPool, viewer: &User, params: &ListParams, choices: bool) -> AppResult<ActionList> {
    let mut conn = pool.acquire().await?;
    // Tables do not show each item's history.
    let query = ListQuery { history: false, ..typed_query(&mut conn, viewer, params).await? };
    list_on(&mut conn, viewer, &query, choices, false).await
}

/// The list's query from its parameters as typed, with an owner typed by name or email found.
async fn typed_query(conn: &mut sqlx::PgConnection, viewer: &User, params: &ListParams) -> AppResult<ListQuery> {
    let owner = owner_filter(conn, params.owner.as_deref()).await?;
    parse_filter(viewer, &ListParams { owner, ..params.clone() })
}

/// The owner filter as typed: "me" and ids are read by `parse_filter`; a name or an email is looked
/// up here, so the filter form is a text field rather than a list of everyone.
async fn owner_filter(conn: &mut sqlx::PgConnection, typed: Option<&str>) -> AppResult<Option<String>> {
    let Some(typed) = typed.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if typed.eq_ignore_ascii_case("me") || typed.chars().all(|c| c.is_ascii_digit()) {
        return Ok(Some(typed.to_string()));
    }
    let person = people::find(conn, &Person::NameOrEmail(typed.to_string()), "owner").await?;
    Ok(Some(person.id.to_string()))
}

/// An incident's whole list for its page, on the page's connection, after the page has decided that
/// `viewer` may see the incident (so an empty list needs no second check).
pub(super) async fn incident_list(
    conn: &mut sqlx::PgConnection,
    viewer: &User,
    incident_id: i64,
) -> AppResult<ActionList> {
    let filter = ListFilter {
        viewer: Some(viewer.id),
        incident: Some(incident_id),
        limit: crate::domain::paging::MAX_LIMIT,
        ..Default::default()
    };
    list_on(conn, viewer, &ListQuery { filter, history: false }, false, true).await
}

/// One page of `query` with the whole list's figures; `seen` when the caller has already checked
/// that the viewer may see the filtered incident.
async fn list_on(
    conn: &mut sqlx::PgConnection,
    viewer: &User,
    query: &ListQuery,
    choices: bool,
    seen: bool,
) -> AppResult<ActionList> {
    // The database judges "overdue" only to put one's own overdue items first or to filter by it;
    // otherwise each item is judged here, in its owner's zone, as it is read.
    let by_database = query.filter.mine || query.filter.overdue.is_some();
    let mut t = if by_database { todays(&mut *conn, &query.filter, Utc::now()).await? } else { Default::default() };
    let (items, next) = page_on(&mut *conn, query, &t).await?;
    // The list only holds items of incidents the viewer may see; an empty one must still be a 404
    // for an incident they may not.
    if items.is_empty() && !seen {
        see_filtered_incident(&mut *conn, viewer, query).await?;
    }
    // The figures are the whole list's, whatever the page holds: counted here when this page is the
    // whole list (an incident's items usually are), by the database otherwise.
    // Per incident: its title and its (status, overdue, how many) groups.
    type Groups = Vec<(ActionStatus, bool, usize)>;
    let mut groups: BTreeMap<i64, (String, Groups)> = BTreeMap::new();
    if next.is_none() && query.filter.after.is_none() {
        for i in &items {
            let (_, g) = groups.entry(i.incident_id).or_insert_with(|| (i.incident_title.clone(), Vec::new()));
            g.push((i.status, i.overdue, 1));
        }
    } else {
        if !by_database {
            t = todays(&mut *conn, &query.filter, Utc::now()).await?;
        }
        for (incident_id, title, status, overdue, n) in db::actions::tallies(&mut *conn, &query.filter, &t).await? {
            let status =
                status.parse().map_err(|e| crate::error::internal(format!("action item status {status:?}: {e}")))?;
            groups.entry(incident_id).or_insert_with(|| (title, Vec::new())).1.push((status, overdue, n as usize));
        }
    }
    let counts = tally(groups.values().flat_map(|(_, g)| g.iter().copied()));
    let by_incident = groups
        .into_iter()
        .map(|(incident_id, (title, g))| IncidentCounts { incident_id, title, counts: tally(g) })
        .collect();
    let teams = if choices { db::users::teams(&mut *conn).await? } else { Vec::new() };
    Ok(ActionList { counts, items, next, by_incident, teams, me: viewer.clone() })
}

pub fn parse_filter(viewer: &User, p: &ListParams) -> AppResult<ListQuery> {
    let mut errs = FieldErrors::new();
    let incident = non_empty(&p.incident).and_then(|s| {
        validate::check(
            &mut errs,
            "incident",
            crate::domain::parse_incident_ref(s).ok_or_else(|| format!("{s:?} is not an incident id")),
        )
    });
    let owner = non_empty(&p.owner).and_then(|s| {
        let parsed = if s.eq_ignore_ascii_case("me") {
            Ok(viewer.id)
        } else {
            s.parse::<i64>().map_err(|_| format!("{s:?} is not a user id: use a number or \"me\""))
        };
        validate::check(&mut errs, "owner", parsed)
    });
    let status: Option<ActionStatus> =
        non_empty(&p.status).and_then(|s| validate::check(&mut errs, "status", s.parse()));
    let kind: Option<ActionType> = non_empty(&p.kind).and_then(|s| validate::check(&mut errs, "type", s.parse()));
    let priority: Option<Priority> =
        non_empty(&p.priority).and_then(|s| validate::check(&mut errs, "priority", s.parse()));
    let severity: Option<Severity> =
        non_empty(&p.severity).and_then(|s| validate::check(&mut errs, "severity", s.parse()));
    let overdue = non_empty(&p.overdue).and_then(|s| {
        let parsed = match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(format!("{s:?} is not true or false")),
        };
        validate::check(&mut errs, "overdue", parsed)
    });
    let descending = non_empty(&p.sort).and_then(|s| {
        let parsed = match s {
            "due" => Ok(false),
            "-due" => Ok(true),
            _ => Err(format!("{s:?} is not a sort order: use due or -due")),
        };
        validate::check(&mut errs, "sort", parsed)
    });
    let after = non_empty(&p.cursor).and_then(|c| validate::check(&mut errs, "cursor", parse_cursor(c)));
    let limit = validate::check(&mut errs, "limit", crate::domain::paging::limit(p.limit.as_deref()));
    let service = non_empty(&p.service).and_then(|s| validate::check(&mut errs, "service", validate::query(s)));
    let team = non_empty(&p.team).and_then(|s| validate::check(&mut errs, "team", validate::query(s)));
    if !errs.is_empty() {
        return Err(AppError::fields(errs));
    }
    Ok(ListQuery {
        filter: ListFilter {
            mine: owner == Some(viewer.id),
            overdue,
            after,
            viewer: Some(viewer.id),
            incident,
            owner,
            status,
            kind,
            priority,
            severity,
            service,
            team,
            descending: descending.unwrap_or(false),
            limit: limit.unwrap_or(crate::domain::paging::DEFAULT_LIMIT),
        },
        history: true,
    })
}

/// `<behind the overdue ones 0|1>_<due YYYY-MM-DD>_<id>`.
fn parse_cursor(s: &str) -> Result<db::actions::ListCursor, String> {
    let p = crate::domain::paging::cursor_parts(s, 3)?;
    let bad = || "That page link is not valid: start from the first page".to_string();
    Ok(db::actions::ListCursor {
        later: p[0] == "1",
        due_on: NaiveDate::parse_from_str(p[1], "%Y-%m-%d").map_err(|_| bad())?,
        id: p[2].parse().map_err(|_| bad())?,
    })
}

fn cursor_of(mine: bool, i: &ActionItem) -> String {
    format!("{}_{}_{}", u8::from(mine && !i.overdue), i.due_on.format("%Y-%m-%d"), i.id)
}

/// Today in the zone of each owner the list may show, for the database to judge "overdue" in
/// each owner's calendar.
async fn todays(conn: &mut sqlx::PgConnection, f: &ListFilter, now: DateTime<Utc>) -> AppResult<db::actions::Todays> {
    let zones = db::actions::owner_zones(&mut *conn, f).await?;
    let days = zones.iter().map(|z| owner_today(z, now)).collect();
    Ok(db::actions::Todays { zones, days })
}

/// Sorted by due date (latest first when asked); when listing one's own items, the overdue ones first.
/// One page, with the whole list's count.
#[tracing::instrument(skip_all, fields(viewer = viewer.id))]
pub async fn list(pool: &PgPool, viewer: &User, params: &ListParams) -> AppResult<Page<ActionItem>> {
    let mut conn = pool.acquire().await?;
    let q = &typed_query(&mut conn, viewer, params).await?;
    see_filtered_incident(&mut conn, viewer, q).await?;
    let t = todays(&mut conn, &q.filter, Utc::now()).await?;
    let (items, next) = page_on(&mut conn, q, &t).await?;
    let total = db::actions::tallies(&mut *conn, &q.filter, &t).await?.iter().map(|r| r.4).sum();
    Ok(Page { items, total, next })
}

/// One incident's items are a 404, like the incident, to those who may not see it (rather than an
/// empty list that would still say the incident exists).
async fn see_filtered_incident(conn: &mut sqlx::PgConnection, viewer: &User, q: &ListQuery) -> AppResult<()> {
    match q.filter.incident {
        Some(id) => access::see_incident(&mut *conn, viewer, id).await,
        None => Ok(()),
    }
}

/// One incident's items by due date, as `viewer` (who may see the incident) sees them.
pub(super) async fn of_incident(
    conn: &mut sqlx::PgConnection,
    viewer: &User,
    incident_id: i64,
) -> AppResult<Vec<ActionItem>> {
    // Every one of them: the export and the postmortem's table list them all.
    let filter =
        ListFilter { viewer: Some(viewer.id), incident: Some(incident_id), limit: 100_000, ..Default::default() };
    let t = todays(conn, &filter, Utc::now()).await?;
    Ok(page_on(conn, &ListQuery { filter, history: false }, &t).await?.0)
}

/// One page of items and the cursor of the next.
async fn page_on(
    conn: &mut sqlx::PgConnection,
    q: &ListQuery,
    t: &db::actions::Todays,
) -> AppResult<(Vec<ActionItem>, Option<String>)> {
    let now = Utc::now();
    let limit = q.filter.limit;
    let probe =
        ListFilter { limit: limit + 1, service: q.filter.service.clone(), team: q.filter.team.clone(), ..q.filter };
    let rows: Vec<ActionItem> =
        db::actions::list(&mut *conn, &probe, t).await?.into_iter().map(|s| finish(s, now)).collect();
    let mine = q.filter.mine;
    let page = Page::from_rows(rows, limit, 0, |i| cursor_of(mine, i));
    let items = if q.history { with_history(conn, page.items).await? } else { page.items };
    Ok((items, page.next))
}

/// The current item as a conflict payload, so the client can show what changed.
async fn conflict(tx: &mut sqlx::PgConnection, id: i64) -> AppResult<AppError> {
    let stored = db::actions::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let current = with_history(&mut *tx, vec![finish(stored, Utc::now())]).await?.remove(0);
    Ok(AppError::Conflict {
        message: format!(
            "Someone else changed this action item first (it is now {} and due {}). Review it and try again.",
            current.status.label().to_lowercase(),
            current.due_on
        ),
        current: serde_json::to_value(&current).ok(),
        values: Default::default(),
    })
}

/// Writes `after` and one history row per changed field, in the caller's transaction.
async fn save(tx: &mut sqlx::PgConnection, user: &User, before: &ActionItem, after: &ActionItem) -> AppResult<bool> {
    let changes = rules::changes(before, after);
    if changes.is_empty() {
        return Ok(false);
    }
    db::actions::update(&mut *tx, after).await?;
    db::incidents::notify(&mut *tx, after.incident_id, "action").await?;
    for (field, from, to) in &changes {
        let change = db::timeline::Change { from: from.as_deref(), to: to.as_deref() };
        db::actions::insert_change(&mut *tx, after.id, user.id, field, change).await?;
    }
    Ok(true)
}

#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn update(pool: &PgPool, user: &User, id: i64, patch: ActionPatch) -> AppResult<ActionItem> {
    super::access::require_writer(user)?;
    let mut errs = FieldErrors::new();
    let version = validate::check(
        &mut errs,
        "version",
        patch.version.ok_or_else(|| "version is required: send the version you read".to_string()),
    );
    let title = patch.title.as_deref().and_then(|t| validate::check(&mut errs, "title", rules::title(t)));
    let description =
        patch.description.as_deref().and_then(|d| validate::check(&mut errs, "description", rules::description(d)));
    let due_on = patch.due_on.as_deref().and_then(|d| validate::check(&mut errs, "due_on", due_date(d)));
    let kind: Option<ActionType> = non_empty(&patch.kind).and_then(|s| validate::check(&mut errs, "type", s.parse()));
    let priority: Option<Priority> =
        non_empty(&patch.priority).and_then(|s| validate::check(&mut errs, "priority", s.parse()));
    let status: Option<ActionStatus> =
        non_empty(&patch.status).and_then(|s| validate::check(&mut errs, "status", s.parse()));
    let reason = patch.reason.as_deref().and_then(|r| validate::check(&mut errs, "reason", rules::reason(r)));
    let tracker_url =
        patch.tracker_url.as_deref().and_then(|u| validate::check(&mut errs, "tracker_url", rules::tracker_url(u)));
    let success_criterion = patch
        .success_criterion
        .as_deref()
        .and_then(|s| validate::check(&mut errs, "success_criterion", rules::success_criterion(s)));
    let check_back_on =
        patch.check_back_on.as_deref().and_then(|d| validate::check(&mut errs, "check_back_on", optional_date(d)));
    if !errs.is_empty() {
        return Err(AppError::fields(errs));
    }
    let version = version.unwrap_or_default();

    let mut tx = pool.begin().await?;
    see_item(&mut tx, user, id).await?;
    let cur_version = db::actions::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    if cur_version != version {
        return Err(conflict(&mut tx, id).await?);
    }
    let current = db::actions::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))?.item;
    let mut next = current.clone();
    if let Some(owner) = patch.owner.as_ref().filter(|o| **o != Person::Id(current.owner)) {
        let u = self::owner(&mut tx, owner).await?;
        next.owner = u.id;
        next.owner_name = u.name;
    }
    if let Some(to) = status.filter(|s| *s != current.status) {
        current.status.check_transition(to).map_err(|m| AppError::invalid("status", m))?;
        next.status = to;
        if current.status == ActionStatus::WontDo {
            // Reopened: the old reason no longer applies.
            next.reason = None;
        }
    }
    if let Some(r) = reason {
        next.reason = Some(r).filter(|r| !r.is_empty());
    }
    if next.status == ActionStatus::WontDo && next.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::invalid("reason", "Say why this will not be done"));
    }
    next.title = title.unwrap_or(next.title);
    next.description = description.unwrap_or(next.description);
    next.due_on = due_on.unwrap_or(next.due_on);
    next.kind = kind.unwrap_or(next.kind);
    next.priority = priority.unwrap_or(next.priority);
    if let Some(u) = tracker_url {
        next.tracker_url = u;
    }
    next.success_criterion = success_criterion.unwrap_or(next.success_criterion);
    if let Some(d) = check_back_on {
        next.check_back_on = d;
    }
    if !save(&mut tx, user, &current, &next).await? {
        let item = load(&mut tx, id).await?;
        tx.rollback().await?;
        return Ok(item);
    }
    tx.commit().await?;
    load(&mut *pool.acquire().await?, id).await
}

/// Answers the check-back question: did the finished item work?
#[tracing::instrument(skip_all, fields(user = user.id, id))]
pub async fn check(pool: &PgPool, user: &User, id: i64, outcome: &str, note: Option<&str>) -> AppResult<ActionItem> {
    super::access::require_writer(user)?;
    let mut errs = FieldErrors::new();
    let outcome: Option<Outcome> = validate::check(
        &mut errs,
        "outcome",
        required(outcome, "Say whether it worked: worked, did_not_work or unclear"),
    );
    let note = validate::check(&mut errs, "note", rules::outcome_note(note.unwrap_or("")));
    let (Some(outcome), Some(note)) = (outcome, note) else {
        return Err(AppError::fields(errs));
    };
    let mut tx = pool.begin().await?;
    see_item(&mut tx, user, id).await?;
    db::actions::lock(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    let current = db::actions::get(&mut *tx, id).await?.ok_or_else(|| not_found(id))?.item;
    if current.status != ActionStatus::Done {
        return Err(AppError::invalid(
            "outcome",
            format!("answer after the item is done (it is {})", current.status.label().to_lowercase()),
        ));
    }
    let next = ActionItem { outcome: Some(outcome), outcome_note: note, ..current.clone() };
    save(&mut tx, user, &current, &next).await?;
    tx.commit().await?;
    load(&mut *pool.acquire().await?, id).await
}

/// One owner's part of the daily digest.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestEntry {
    pub owner: UserRef,
    pub overdue: Vec<ActionItem>,
    pub check_backs: Vec<ActionItem>,
}

/// Groups the items needing attention today (each owner's today) by owner, in the order given.
pub fn digest_entries(items: Vec<StoredAction>, now: DateTime<Utc>) -> Vec<DigestEntry> {
    let mut entries: Vec<DigestEntry> = Vec::new();
    for stored in items {
        let item = finish(stored, now);
        if !item.overdue && !item.check_back_due {
            continue;
        }
        let pos = match entries.iter().position(|e| e.owner.id == item.owner) {
            Some(p) => p,
            None => {
                let owner = UserRef { id: item.owner, name: item.owner_name.clone() };
                entries.push(DigestEntry { owner, overdue: vec![], check_backs: vec![] });
                entries.len() - 1
            }
        };
        if item.overdue {
            entries[pos].overdue.push(item);
        } else {
            entries[pos].check_backs.push(item);
        }
    }
    entries
}

/// The digest as destinations read it: a headline with the counts, then a paragraph per owner. It
/// is plain text: each destination kind escapes it for its own format.
pub fn digest_text(day: NaiveDate, entries: &[DigestEntry]) -> (String, String) {
    let overdue: usize = entries.iter().map(|e| e.overdue.len()).sum();
    let checks: usize = entries.iter().map(|e| e.check_backs.len()).sum();
    let headline = format!("Action items for {day}: {overdue} overdue, {checks} to check back on");
    let line = |i: &ActionItem| format!("{} {} {}", incident_ref(i.incident_id), i.priority, i.title);
    let paragraphs: Vec<String> = entries
        .iter()
        .map(|e| {
            let mut p = e.owner.name.clone();
            for i in &e.overdue {
                p.push_str(&format!("\n\u{2022} Overdue since {}: {}", i.due_on, line(i)));
            }
            for i in &e.check_backs {
                p.push_str(&format!("\n\u{2022} Did it work? {}", line(i)));
            }
            p
        })
        .collect();
    (headline, paragraphs.join("\n\n"))
}

/// Queues the day's digest (the day in UTC) for the destinations that hear `action_overdue`, unless
/// some instance already has. Returns whether this call took the day: the day's row and the
/// notifications are written in one transaction, so a second instance waits for the first and then
/// finds the day taken, and the outbox sees to the delivery.
#[tracing::instrument(skip_all)]
pub async fn send_daily_digest(pool: &PgPool, now: DateTime<Utc>) -> AppResult<bool> {
    let day = now.date_naive();
    let mut tx = pool.begin().await?;
    if !db::actions::claim_digest_day(&mut *tx, day).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    // No zone is more than a day ahead of UTC, so nothing due later can be overdue anywhere yet.
    let candidates = db::actions::digest_candidates(&mut *tx, day + chrono::Duration::days(1)).await?;
    let entries = digest_entries(candidates, now);
    if !entries.is_empty() {
        let (headline, detail) = digest_text(day, &entries);
        super::outbox::tell_everyone(&mut tx, NotifyEvent::ActionOverdue, headline, detail, "/actions?overdue=true")
            .await?;
    }
    tx.commit().await?;
    tracing::info!(%day, owners = entries.len(), "daily digest queued");
    Ok(true)
}

/// The hour of a person's own morning from which their reminder goes out.
pub const REMINDER_HOUR: u32 = 8;

/// One owner's reminder: their overdue items and due check-backs, each with a link straight to it.
/// The plain part is as written; the HTML part escapes every title.
pub fn reminder_mail(day: NaiveDate, entry: &DigestEntry, base: &str, unsubscribe: &str) -> Mail {
    let (overdue, checks) = (entry.overdue.len(), entry.check_backs.len());
    let subject = format!("Your action items for {day}: {overdue} overdue, {checks} to check back on");
    let mut text = format!("Hello {},\n\n", entry.owner.name);
    let mut html = format!("<!DOCTYPE html>\n<html><body>\n<p>Hello {},</p>\n", html_escape(&entry.owner.name));
    let mut list = |heading: &str, items: &[ActionItem], line: &dyn Fn(&ActionItem) -> String| {
        if items.is_empty() {
            return;
        }
        text.push_str(&format!("{heading}\n"));
        html.push_str(&format!("<h3>{}</h3>\n<ul>\n", html_escape(heading)));
        for i in items {
            let link = format!("{base}/actions/{}", i.id);
            let what = line(i);
            text.push_str(&format!("- {what}\n  {link}\n"));
            html.push_str(&format!("<li><a href=\"{}\">{}</a></li>\n", html_escape(&link), html_escape(&what)));
        }
        text.push('\n');
        html.push_str("</ul>\n");
    };
    let label = |i: &ActionItem| format!("{} {} {}", incident_ref(i.incident_id), i.priority, i.title);
    list("Overdue", &entry.overdue, &|i| format!("{} (due {})", label(i), i.due_on));
    list("Did it work? Say how the change went", &entry.check_backs, &|i| label(i));
    text.push_str(&format!(
        "All your items: {base}/actions/mine\n\nYou get this mail each morning while you have overdue items. \
         Stop: {unsubscribe}\n"
    ));
    html.push_str(&format!(
        "<p><a href=\"{}/actions/mine\">All your items</a></p>\n<p style=\"color:#666\">You get this mail each \
         morning while you have overdue items. <a href=\"{}\">Stop these mails</a>.</p>\n</body></html>\n",
        html_escape(base),
        html_escape(unsubscribe)
    ));
    Mail { subject, text, html }
}

/// Queues each owner's reminder mail once on their own day, from `REMINDER_HOUR` in their time zone.
/// Items of private incidents stay out of mail (the link to *My action items* shows them). Every
/// instance calls this; the day's row per person makes it once. Nothing without mail set up.
#[tracing::instrument(skip_all)]
pub async fn queue_reminders(
    pool: &PgPool,
    outbound: &super::webhook::Outbound,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    use chrono::Timelike;
    if outbound.mail().is_none() {
        return Ok(0);
    }
    let base = super::webhook::settings(pool).await?.public_url;
    let mut tx = pool.begin().await?;
    let candidates = db::actions::digest_candidates(&mut *tx, now.date_naive() + chrono::Duration::days(1)).await?;
    let entries = digest_entries(candidates, now);
    let owners: Vec<i64> = entries.iter().map(|e| e.owner.id).collect();
    let recipients = db::actions::reminder_recipients(&mut *tx, &owners).await?;
    let mut queued = 0;
    for entry in &entries {
        let Some(r) = recipients.iter().find(|r| r.id == entry.owner.id) else { continue };
        let local = now.with_timezone(&parse_zone(&r.time_zone).unwrap_or(Tz::UTC));
        if local.hour() < REMINDER_HOUR || !db::actions::claim_reminder_day(&mut *tx, r.id, local.date_naive()).await? {
            continue;
        }
        let unsubscribe = format!("{base}/email/unsubscribe?u={}&t={}", r.id, r.mail_token);
        let mail = reminder_mail(local.date_naive(), entry, &base, &unsubscribe);
        let body = serde_json::to_value(PersonalMail { mail, unsubscribe }).map_err(crate::error::internal)?;
        db::outbox::enqueue_personal(&mut *tx, r.id, NotifyEvent::ActionOverdue, &body).await?;
        queued += 1;
    }
    if queued > 0 {
        db::outbox::wake(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(queued)
}

/// One-click unsubscribe from reminder mail: the link's person and secret, as the mail gave them.
#[tracing::instrument(skip_all)]
pub async fn unsubscribe(pool: &PgPool, user: &str, token: &str) -> AppResult<()> {
    let invalid = || AppError::NotFound("That unsubscribe link is not valid: use the one in your latest mail".into());
    let id: i64 = user.trim().parse().map_err(|_| invalid())?;
    if token.len() > 64 || !db::actions::unsubscribe(pool, id, token.trim()).await? {
        return Err(invalid());
    }
    tracing::info!(user = id, "reminder mail turned off");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn stored(id: i64, owner: i64, name: &str, tz: &str, due: &str, status: ActionStatus) -> StoredAction {
        StoredAction {
            owner_time_zone: tz.into(),
            item: ActionItem {
                id,
                title: format!("item {id}"),
                owner,
                owner_name: name.into(),
                due_on: due.parse().unwrap(),
                kind: ActionType::Alerting,
                priority: Priority::P1,
                status,
                created_by: UserRef { id: owner, name: name.into() },
                ..ActionItem::sample()
            },
        }
    }

    #[test]
    fn digest_groups_by_owner_in_their_own_calendar() {
        // 11:30 UTC on the 23rd: the 24th in Tonga, still the 23rd in Honolulu.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 11, 30, 0).unwrap();
        let mut done = stored(3, 1, "Ada", "Pacific/Tongatapu", "2026-11-01", ActionStatus::Done);
        done.item.check_back_on = Some("2026-11-24".parse().unwrap());
        let items = vec![
            stored(1, 1, "Ada", "Pacific/Tongatapu", "2026-11-23", ActionStatus::Open),
            stored(2, 2, "Kai", "Pacific/Honolulu", "2026-11-23", ActionStatus::InProgress),
            done,
            stored(4, 2, "Kai", "Pacific/Honolulu", "2026-11-22", ActionStatus::Open),
        ];
        let entries = digest_entries(items, now);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].owner.name, "Ada");
        assert_eq!(entries[0].overdue.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
        assert_eq!(entries[0].check_backs.iter().map(|i| i.id).collect::<Vec<_>>(), [3]);
        assert_eq!(entries[1].overdue.iter().map(|i| i.id).collect::<Vec<_>>(), [4], "item 2 is due today in Honolulu");

        let (headline, detail) = digest_text(now.date_naive(), &entries);
        assert_eq!(headline, "Action items for 2026-11-23: 2 overdue, 1 to check back on");
        assert_eq!(
            detail,
            "Ada\n\u{2022} Overdue since 2026-11-23: INC-7 P1 item 1\n\u{2022} Did it work? INC-7 P1 item 3\n\n\
             Kai\n\u{2022} Overdue since 2026-11-22: INC-7 P1 item 4"
        );
    }

    #[test]
    fn the_digest_is_escaped_by_each_destination_kind() {
        use crate::domain::notify::{slack_message, Notice};
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 11, 30, 0).unwrap();
        let mut item = stored(1, 1, "<!channel> Ada", "UTC", "2026-11-20", ActionStatus::Open);
        item.item.title = "<https://evil|Read the write-up>".into();
        let (headline, detail) = digest_text(now.date_naive(), &digest_entries(vec![item], now));
        let notice = Notice {
            event: NotifyEvent::ActionOverdue,
            headline,
            detail,
            incident: None,
            link: "https://debrief.example/actions?overdue=true".into(),
            actor: None,
            occurred_at: now,
        };
        let m = slack_message(&notice);
        assert_eq!(
            m["blocks"][1]["text"]["text"],
            "&lt;!channel&gt; Ada\n\u{2022} Overdue since 2026-11-20: INC-7 P1 &lt;https://evil|Read the write-up&gt;"
        );
        let all = m.to_string();
        assert!(!all.contains("<!channel>") && !all.contains("<https://evil"), "{all}");
    }

    #[test]
    fn filters_reject_unknown_values() {
        let me = User {
            id: 5,
            email: "a@example.com".into(),
            name: "Ada".into(),
            role: crate::domain::UserRole::Member,
            time_zone: "UTC".into(),
            team: String::new(),
            active: true,
            origin: Default::default(),
        };
        let ok = parse_filter(&me, &ListParams { owner: Some("me".into()), ..Default::default() }).unwrap();
        assert!(ok.filter.mine && ok.filter.owner == Some(5));
        let bad = ListParams {
            overdue: Some("maybe".into()),
            status: Some("sleeping".into()),
            kind: Some("x".into()),
            ..Default::default()
        };
        let e = parse_filter(&me, &bad).unwrap_err();
        assert!(e.field("overdue").is_some() && e.field("status").is_some() && e.field("type").is_some());
    }
}
