//! The one error type. Server functions carry it to the pages (serialised as JSON), the REST API turns
//! it into `{"error": {...}}` with the right status, and a no-JavaScript form gets it back in the URL.

use crate::domain::validate::FieldErrors;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Sign in to continue")]
    Unauthorized,
    /// An API token that does not (or no longer) work, and why: revoked, expired, deactivated.
    #[error("{0}")]
    TokenRefused(String),
    /// The database has no users yet: the first visit creates the first admin.
    #[error("Debrief needs its first admin account")]
    SetupRequired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A request body over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// A stale write: `current` is what is stored now, so nothing is overwritten unseen.
    #[error("{message}")]
    Conflict {
        message: String,
        current: Option<serde_json::Value>,
        /// What the writer sent, kept for the merge view (see `Invalid`).
        #[serde(default)]
        values: BTreeMap<String, String>,
    },
    /// Bad input. `values` echoes what was typed so a form can be shown again without losing it,
    /// also after a no-JavaScript round trip.
    #[error("{message}")]
    Invalid { message: String, fields: FieldErrors, values: BTreeMap<String, String> },
    /// Refused before doing the work, because of too many attempts (sign-in); retry after that long.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// Something broke on our side. The client sees only the message; the cause (with its source
    /// chain) stays on the server and is logged once (see [`Cause`]).
    #[error("{0}")]
    Internal(String, #[serde(skip)] Cause),
}

/// Why an internal error happened, kept out of every response. It is logged once: by [`AppError::log`]
/// where the response is built (REST answer, server function answer, error page), or, for an error
/// that never reaches a response (a count shown as none, a background job), when its last copy is
/// dropped. Two causes compare equal, so errors compare by what the client sees.
#[derive(Clone, Debug, Default)]
pub struct Cause(Option<std::sync::Arc<CauseText>>);

#[derive(Debug)]
pub struct CauseText {
    text: String,
    logged: std::sync::atomic::AtomicBool,
}

impl Cause {
    pub fn new(text: String) -> Self {
        Cause(Some(std::sync::Arc::new(CauseText { text, logged: false.into() })))
    }

    pub fn text(&self) -> Option<&str> {
        self.0.as_deref().map(|c| c.text.as_str())
    }
}

impl CauseText {
    fn log_once(&self) {
        if !self.logged.swap(true, std::sync::atomic::Ordering::Relaxed) {
            #[cfg(feature = "ssr")]
            tracing::error!(cause = %self.text, "internal error");
        }
    }
}

impl Drop for CauseText {
    fn drop(&mut self) {
        self.log_once();
    }
}

impl PartialEq for Cause {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

pub type AppResult<T> = Result<T, AppError>;

pub const DB_UNAVAILABLE: &str =
    "The database is unreachable right now. Nothing was lost; Debrief reconnects by itself, try again in a moment.";

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Invalid {
            message: message.clone(),
            fields: BTreeMap::from([(field.to_string(), message)]),
            values: BTreeMap::new(),
        }
    }

    /// Several field errors at once; the first message doubles as the summary.
    pub fn fields(fields: FieldErrors) -> Self {
        let message = if fields.len() == 1 {
            fields.values().next().cloned().unwrap_or_default()
        } else {
            "Some fields need attention".to_string()
        };
        AppError::Invalid { message, fields, values: BTreeMap::new() }
    }

    /// Attaches what the user typed (see `Invalid` and `Conflict`). Other variants are returned unchanged.
    pub fn with_values<'a>(self, typed: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let typed = || typed.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        match self {
            AppError::Invalid { message, fields, .. } => AppError::Invalid { message, fields, values: typed() },
            AppError::Conflict { message, current, .. } => AppError::Conflict { message, current, values: typed() },
            other => other,
        }
    }

    /// Logs an internal error's cause, once however many times it is called. Called where a
    /// response is built from the error.
    pub fn log(&self) {
        if let AppError::Internal(_, Cause(Some(cause))) = self {
            cause.log_once();
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }

    /// The one answer for an incident that does not exist and for one the reader may not see, so
    /// the two cannot be told apart. `reference` is `INC-12`, or what the client typed, quoted.
    pub fn no_incident(reference: impl std::fmt::Display) -> Self {
        AppError::NotFound(format!("There is no incident {reference}"))
    }

    pub fn no_action_item(id: impl std::fmt::Display) -> Self {
        AppError::NotFound(format!("There is no action item {id}"))
    }

    pub fn no_user(id: i64) -> Self {
        AppError::NotFound(format!("There is no user {id}"))
    }

    /// A user id given in a form or request field that names nobody.
    pub fn no_user_in(field: &str, id: i64) -> Self {
        AppError::invalid(field, format!("There is no user {id}"))
    }

    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { fields, .. } => fields.get(name).cloned(),
            _ => None,
        }
    }

    pub fn value(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { values, .. } | AppError::Conflict { values, .. } => values.get(name).cloned(),
            _ => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized | AppError::TokenRefused(_) => "unauthorized",
            AppError::SetupRequired => "setup_required",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::TooLarge(_) => "too_large",
            AppError::Conflict { .. } => "conflict",
            AppError::Invalid { .. } => "invalid",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(..) => "internal",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::TokenRefused(_) | AppError::SetupRequired => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::MethodNotAllowed(_) => 405,
            AppError::TooLarge(_) => 413,
            AppError::Conflict { .. } => 409,
            AppError::Invalid { .. } => 422,
            AppError::TooManyRequests { .. } => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal(..) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The answer of a server function called over HTTP: where its response is built.
    fn ser(&self) -> leptos::server_fn::Bytes {
        use leptos::server_fn::Encodes;
        self.log();
        JsonEncoding::encode(self).unwrap_or_default()
    }

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A form that posted something the function cannot read: missing or malformed fields.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::Invalid {
                message: format!("The form was incomplete: {m}"),
                fields: BTreeMap::new(),
                values: BTreeMap::new(),
            },
            ServerFnErrorErr::Request(_) => AppError::Unavailable(
                "Debrief could not be reached. Check your connection; what you typed is still here.".into(),
            ),
            other => AppError::Internal(other.to_string(), Cause::default()),
        }
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            match &e {
                sqlx::Error::RowNotFound => AppError::NotFound("Not found".into()),
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                    tracing::warn!(error = %e, "database unavailable");
                    AppError::Unavailable(DB_UNAVAILABLE.into())
                }
                // character_not_in_repertoire: from valid UTF-8 only a NUL (`\u0000`) gets here, and
                // the transaction it broke rolls back whole.
                sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => AppError::Invalid {
                    message: "Text cannot hold the NUL character (\\u0000): remove it and send again".into(),
                    fields: BTreeMap::new(),
                    values: BTreeMap::new(),
                },
                sqlx::Error::Database(db) if db.code().as_deref() == Some("57P01") => {
                    // admin_shutdown: the server is going away under us.
                    AppError::Unavailable(DB_UNAVAILABLE.into())
                }
                _ => internal_chain(&e),
            }
        }
    }

    const SOMETHING_WENT_WRONG: &str = "Something went wrong on our side. It has been logged; please try again.";

    /// An error that reveals nothing about `e`, which is kept as its cause (logged once).
    pub fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(SOMETHING_WENT_WRONG.into(), Cause::new(e.to_string()))
    }

    /// The same, with every source of `e` in the cause: "decoding row 12: column severity: …".
    pub fn internal_chain(e: &(dyn std::error::Error + 'static)) -> AppError {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            let next = s.to_string();
            // Many errors repeat their source in their own message.
            if !text.contains(&next) {
                text.push_str(": ");
                text.push_str(&next);
            }
            source = s.source();
        }
        AppError::Internal(SOMETHING_WENT_WRONG.into(), Cause::new(text))
    }

    /// Every error the API answers: `{"error": {"code", "message", …}}`.
    #[derive(Serialize, utoipa::ToSchema)]
    pub struct ErrorBody {
        pub error: ErrorDetail,
    }

    #[derive(Serialize, utoipa::ToSchema)]
    pub struct ErrorDetail {
        /// For programs: unauthorized, setup_required, forbidden, not_found, method_not_allowed,
        /// too_large, conflict, invalid, too_many_requests, unavailable or internal.
        #[schema(example = "invalid")]
        pub code: String,
        /// For people: what went wrong and what to do about it.
        pub message: String,
        /// `invalid`: a message per field, by the field's name.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub fields: Option<FieldErrors>,
        /// `conflict`: what is stored now, so nothing is overwritten unseen.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub current: Option<serde_json::Value>,
        /// `too_many_requests`: wait this long, also in `Retry-After`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub retry_after_secs: Option<u64>,
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            self.log();
            let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut error = ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                fields: None,
                current: None,
                retry_after_secs: None,
            };
            match &self {
                AppError::Invalid { fields, .. } => error.fields = Some(fields.clone()),
                AppError::Conflict { current: Some(c), .. } => error.current = Some(c.clone()),
                AppError::TooManyRequests { retry_after_secs, .. } => error.retry_after_secs = Some(*retry_after_secs),
                _ => {}
            }
            let mut res = (status, axum::Json(ErrorBody { error })).into_response();
            if let AppError::TooManyRequests { retry_after_secs, .. } = &self {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, (*retry_after_secs).into());
            }
            res
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::{internal, internal_chain, ErrorBody};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_summarise_and_echo_values() {
        let e = AppError::invalid("title", "too long").with_values([("title", "abc")]);
        assert_eq!(e.field("title").as_deref(), Some("too long"));
        assert_eq!(e.value("title").as_deref(), Some("abc"));
        assert_eq!(e.status(), 422);
        let many = AppError::fields(FieldErrors::from([("a".into(), "x".into()), ("b".into(), "y".into())]));
        assert_eq!(many.to_string(), "Some fields need attention");
    }

    #[test]
    fn too_many_requests_is_a_429() {
        let e = AppError::TooManyRequests {
            message: "Too many sign-in attempts. Try again in 60 s.".into(),
            retry_after_secs: 60,
        };
        assert_eq!((e.status(), e.code()), (429, "too_many_requests"));
        assert_eq!(e.to_string(), "Too many sign-in attempts. Try again in 60 s.");
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&text).unwrap(), e);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn too_many_requests_says_when_to_retry() {
        use axum::response::IntoResponse;
        let res = AppError::TooManyRequests { message: "wait".into(), retry_after_secs: 42 }.into_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "42");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn an_internal_cause_keeps_its_chain_and_never_reaches_the_client() {
        #[derive(Debug, thiserror::Error)]
        #[error("decoding row 7")]
        struct Outer(#[source] std::io::Error);
        let e = internal_chain(&Outer(std::io::Error::other("column severity: \"SEV9\" is not a severity")));
        let AppError::Internal(message, cause) = &e else { panic!("{e:?}") };
        assert_eq!(cause.text(), Some("decoding row 7: column severity: \"SEV9\" is not a severity"));
        assert!(!message.contains("SEV9") && !e.to_string().contains("row 7"));
        let sent = serde_json::to_string(&e).unwrap();
        assert!(!sent.contains("SEV9"), "{sent}");
        // What the client decodes is the same error, without the cause.
        assert_eq!(serde_json::from_str::<AppError>(&sent).unwrap(), e);
    }

    #[test]
    fn survives_the_server_fn_round_trip() {
        let e = AppError::Conflict {
            message: "stale".into(),
            current: Some(serde_json::json!({"version": 3})),
            values: BTreeMap::from([("body".to_string(), "mine".to_string())]),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&text).unwrap(), e);
    }
}
