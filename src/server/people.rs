//! The one person a form or an API call means: by user id, or by a name or email typed into a
//! search field (pages never list everyone, so they stay small however many people there are).

use crate::domain::User;
use crate::error::{AppError, AppResult};
use crate::server::db;
use serde::Deserialize;

/// A user id (the API's JSON numbers) or a name or email (a typed field, or a JSON string).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
#[derive(utoipa::ToSchema)]
pub enum Person {
    Id(i64),
    NameOrEmail(String),
}

/// Finds the person; a problem is an error on `field` that says what to type instead.
#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut sqlx::PgConnection, who: &Person, field: &'static str) -> AppResult<User> {
    match who {
        Person::Id(id) => db::users::by_id(&mut *conn, *id).await?.ok_or_else(|| AppError::no_user_in(field, *id)),
        Person::NameOrEmail(q) => by_name_or_email(conn, q, field).await,
    }
}

/// An exact name or email wins; otherwise the one match, or the matches to choose from.
async fn by_name_or_email(conn: &mut sqlx::PgConnection, query: &str, field: &'static str) -> AppResult<User> {
    let q = query.trim();
    if q.is_empty() || q.chars().count() > 200 {
        return Err(AppError::invalid(field, "Type a name or an email address (at most 200 characters)"));
    }
    let found = db::users::search(&mut *conn, q, 6, false).await?;
    let exact: Vec<&User> =
        found.iter().filter(|u| u.email.eq_ignore_ascii_case(q) || u.name.eq_ignore_ascii_case(q)).collect();
    match (exact.as_slice(), found.as_slice()) {
        ([one], _) => Ok((*one).clone()),
        ([], [one]) => Ok(one.clone()),
        (_, []) => Err(AppError::invalid(field, format!("No one is called or has the email \u{201c}{q}\u{201d}"))),
        (_, many) => {
            let names: Vec<String> = many.iter().take(5).map(|u| format!("{} <{}>", u.name, u.email)).collect();
            Err(AppError::invalid(field, format!("Several people match: {}. Type their email.", names.join(", "))))
        }
    }
}
