//! All SQL, one module per domain. Functions take an executor so callers choose pool or transaction.

use crate::error::{internal, AppResult};
use sqlx::PgExecutor;
use std::fmt::Display;
use std::str::FromStr;

pub mod actions;
pub mod alerts;
pub mod audit;
pub mod incidents;
pub mod insights;
pub mod integrations;
pub mod milestones;
pub mod outbox;
pub mod postmortems;
pub mod sign_ins;
pub mod status;
pub mod timeline;
pub mod tokens;
pub mod updates;
pub mod users;

/// A value stored as text, read back: one that no longer parses is an error naming the row and the
/// column (in the log; the client is told something went wrong), never a default that would show
/// something else, such as a different severity.
pub(crate) fn stored<T>(value: &str, row: impl Display, column: &str) -> AppResult<T>
where
    T: FromStr,
    T::Err: Display,
{
    parse_stored(value, row, column).map_err(internal)
}

fn parse_stored<T>(value: &str, row: impl Display, column: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: Display,
{
    value.parse().map_err(|e| format!("{row}: the stored {column} {value:?} is not valid: {e}"))
}

/// The same for a column that may be NULL.
pub(crate) fn stored_opt<T>(value: Option<&str>, row: impl Display, column: &str) -> AppResult<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    value.map(|v| stored(v, row, column)).transpose()
}

/// Holds `debrief:<name>` until the caller's transaction ends, so a one-time step (the first admin,
/// the default template) runs once even when several app instances race for it.
pub async fn advisory_lock(tx: &mut sqlx::PgConnection, name: &str) -> AppResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(format!("debrief:{name}")).execute(tx).await?;
    Ok(())
}

/// Makes the transaction one read-only snapshot, so figures read by several statements agree. JIT
/// compilation is off in it: the planner's estimates for the insights' per-incident joins cross its
/// threshold, and compiling took longer (about 400 ms) than running the statement does.
pub async fn set_read_only_snapshot(tx: &mut sqlx::PgConnection) -> AppResult<()> {
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    Ok(())
}

/// One round trip, for the readiness probe.
pub async fn ping(db: impl PgExecutor<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
}

/// Creates database `name` unless the cluster has it (the embedded cluster's first start).
pub async fn create_database_if_missing(conn: &mut sqlx::PgConnection, name: &str) -> Result<(), sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        // An identifier cannot be a bind parameter; quoted, so any name is taken literally.
        sqlx::query(&format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""))).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Severity;

    #[test]
    fn a_bad_stored_value_is_an_error_naming_its_row() {
        assert_eq!(stored::<Severity>("SEV2", "INC-7", "severity").unwrap(), Severity::Sev2);
        let err = parse_stored::<Severity>("SEV9", "INC-7", "severity").unwrap_err();
        assert!(err.contains("INC-7") && err.contains("severity") && err.contains("SEV9"), "{err}");
        assert_eq!(stored_opt::<Severity>(None, "INC-7", "severity").unwrap(), None);
        assert!(stored_opt::<Severity>(Some("x"), "INC-7", "severity").is_err());
    }
}
