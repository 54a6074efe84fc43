//! The audit log: who did what, to which object, from where. Entries are written in the same
//! transaction as the change they record, and the database refuses to change or delete them.

use super::db;
use crate::domain::accounts::{AuditAction, AuditEntry};
use crate::domain::export::csv_row;
use crate::domain::paging::{self, Page};
use crate::domain::time::parse_bound;
use crate::domain::validate::{check, given, FieldErrors};
use crate::domain::{incident_ref, User};
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgPool;

/// What an entry is about, as it was named at the time.
pub struct Object {
    kind: &'static str,
    id: String,
    name: String,
}

impl Object {
    pub fn user(u: &User) -> Self {
        Object { kind: "user", id: u.id.to_string(), name: format!("{} <{}>", u.name, u.email) }
    }

    pub fn incident(id: i64, title: &str) -> Self {
        Object { kind: "incident", id: incident_ref(id), name: title.to_string() }
    }

    pub fn token(id: i64, name: &str) -> Self {
        Object { kind: "token", id: id.to_string(), name: name.to_string() }
    }

    pub fn integration(id: i64, name: &str) -> Self {
        Object { kind: "integration", id: id.to_string(), name: name.to_string() }
    }

    pub fn destination(id: i64, name: &str) -> Self {
        Object { kind: "destination", id: id.to_string(), name: name.to_string() }
    }

    pub fn service(id: i64, name: &str) -> Self {
        Object { kind: "service", id: id.to_string(), name: name.to_string() }
    }

    pub fn setting(key: &str) -> Self {
        Object { kind: "settings", id: key.to_string(), name: String::new() }
    }

    /// Someone who tried to sign in as this email, whether or not such an account exists.
    pub fn account(email: &str) -> Self {
        Object { kind: "account", id: String::new(), name: email.chars().take(320).collect() }
    }
}

/// `{"field": {"from": …, "to": …}}`.
pub fn change(field: &str, from: impl serde::Serialize, to: impl serde::Serialize) -> Value {
    json!({ field: { "from": from, "to": to } })
}

/// Appends an entry for what `actor` did (through their token, if the request carried one).
pub async fn record(
    db: impl sqlx::PgExecutor<'_>,
    actor: &User,
    action: AuditAction,
    object: Object,
    change: Option<Value>,
) -> AppResult<()> {
    let entry = db::audit::NewEntry {
        actor_id: Some(actor.id),
        actor_name: &actor.name,
        token_id: actor.origin.token.map(|t| t.0),
        action,
        object: (object.kind, object.id, object.name),
        address: actor.origin.address.as_deref(),
        change,
    };
    db::audit::insert(db, entry).await
}

/// Appends an entry with no known actor (a failed sign-in).
pub async fn record_anonymous(
    db: impl sqlx::PgExecutor<'_>,
    address: Option<&str>,
    action: AuditAction,
    object: Object,
) -> AppResult<()> {
    let entry = db::audit::NewEntry {
        actor_id: None,
        actor_name: "",
        token_id: None,
        action,
        object: (object.kind, object.id, object.name),
        address,
        change: None,
    };
    db::audit::insert(db, entry).await
}

/// The filters as typed on the page or in the query string.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// A user id or an email.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

async fn filter(pool: &PgPool, p: &Params) -> AppResult<(db::audit::Filter, i64)> {
    let mut errs = FieldErrors::new();
    let action = given(&p.action).and_then(|a| check(&mut errs, "action", a.parse::<AuditAction>()));
    let from = given(&p.from).and_then(|s| check(&mut errs, "from", parse_bound(s, false)));
    let to = given(&p.to).and_then(|s| check(&mut errs, "to", parse_bound(s, true)));
    let limit = check(&mut errs, "limit", paging::limit(p.limit.as_deref()));
    let before = given(&p.cursor).and_then(|c| check(&mut errs, "cursor", parse_cursor(c)));
    let actor = match given(&p.actor) {
        None => None,
        Some(a) if a.chars().count() > 254 => {
            errs.insert("actor".into(), "Type an email (at most 254 characters) or a user id".into());
            None
        }
        Some(a) => match a.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => match db::users::by_email(pool, a).await? {
                Some(u) => Some(u.id),
                None => {
                    errs.insert(
                        "actor".into(),
                        format!("No one has the email \u{201c}{a}\u{201d}: type an email or a user id"),
                    );
                    None
                }
            },
        },
    };
    let object = given(&p.object).map(|o| o.chars().take(200).collect());
    match (limit, errs.is_empty()) {
        (Some(limit), true) => Ok((db::audit::Filter { actor, action, object, from, to, before }, limit)),
        _ => Err(AppError::fields(errs)),
    }
}

fn parse_cursor(c: &str) -> Result<(chrono::DateTime<chrono::Utc>, i64), String> {
    let parts = paging::cursor_parts(c, 2)?;
    let bad = || "That page link is not valid: start from the first page".to_string();
    let micros: i64 = parts[0].parse().map_err(|_| bad())?;
    let id: i64 = parts[1].parse().map_err(|_| bad())?;
    Ok((chrono::DateTime::from_timestamp_micros(micros).ok_or_else(bad)?, id))
}

/// A page of entries, newest first. Admins only.
#[tracing::instrument(skip_all, fields(admin = admin.id))]
pub async fn list(pool: &PgPool, admin: &User, p: &Params) -> AppResult<Page<AuditEntry>> {
    super::access::require_admin(admin)?;
    let (f, limit) = filter(pool, p).await?;
    let mut conn = pool.acquire().await?;
    let (rows, total) = db::audit::list(&mut conn, &f, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, total, |e| format!("{}_{}", e.at.timestamp_micros(), e.id)))
}

/// Every entry the filters match (cursor and limit ignored), as CSV. Admins only.
#[tracing::instrument(skip_all, fields(admin = admin.id))]
pub async fn csv(pool: &PgPool, admin: &User, p: &Params) -> AppResult<String> {
    super::access::require_admin(admin)?;
    let (mut f, _) = filter(pool, &Params { cursor: None, limit: None, ..p.clone() }).await?;
    let mut out = csv_row(&[
        "id",
        "at",
        "actor_id",
        "actor",
        "token_id",
        "action",
        "object_type",
        "object_id",
        "object",
        "address",
        "change",
    ]);
    let mut conn = pool.acquire().await?;
    // A page at a time, so a long log is never one huge query result.
    loop {
        let (rows, _) = db::audit::list(&mut conn, &f, paging::MAX_LIMIT).await?;
        for e in &rows {
            let actor = e.actor.as_ref();
            let object = e.object.as_ref();
            out.push_str(&csv_row(&[
                e.id.to_string(),
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                actor.and_then(|a| a.user_id).map(|i| i.to_string()).unwrap_or_default(),
                actor.map(|a| a.name.clone()).unwrap_or_default(),
                actor.and_then(|a| a.token_id).map(|i| i.to_string()).unwrap_or_default(),
                e.action.as_str().to_string(),
                object.map(|o| o.kind.clone()).unwrap_or_default(),
                object.map(|o| o.id.clone()).unwrap_or_default(),
                object.map(|o| o.name.clone()).unwrap_or_default(),
                e.address.clone().unwrap_or_default(),
                e.change.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            ]));
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == paging::MAX_LIMIT => f.before = Some((last.at, last.id)),
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let t = chrono::DateTime::from_timestamp_micros(1_800_000_000_123_456).unwrap();
        assert_eq!(parse_cursor(&format!("{}_{}", t.timestamp_micros(), 7)), Ok((t, 7)));
        assert!(parse_cursor("x_7").is_err());
        assert!(parse_cursor("12").is_err());
    }
}
