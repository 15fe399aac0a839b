//! The error vocabulary shared by every domain.
//!
//! Each domain crate has its own `thiserror` enum and implements
//! [`DomainError`] for it: a coarse [`ErrorKind`] the gateway turns into an HTTP
//! status, and a stable machine-readable `code` (`appointment.slot_taken`)
//! that clients switch on. `Display` must be safe to show a user; causes stay
//! in the `source()` chain and go to the logs only.

use poem_openapi::Object;
use sea_orm::{DbErr, RuntimeErr};
use validator::{ValidationErrors, ValidationErrorsKind};

/// What went wrong, coarsely: one kind per HTTP status class we answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request cannot be understood (400).
    BadRequest,
    /// No or invalid credentials (401).
    Unauthorized,
    /// Authenticated, but not allowed, and existence is not a secret (403).
    Forbidden,
    /// Missing, or not the caller's to see (404).
    NotFound,
    /// The state of the resource forbids it (409).
    Conflict,
    /// Understood, but a rule or field validation failed (422).
    Unprocessable,
    /// Too many attempts (429).
    TooManyRequests,
    /// A dependency is down; retrying later may work (503).
    Unavailable,
    /// A fault on our side (500).
    Internal,
}

impl ErrorKind {
    /// The HTTP status this kind is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::Unprocessable => 422,
            Self::TooManyRequests => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// True for faults that are ours, not the client's: their text is never shown.
    pub fn is_server_fault(self) -> bool {
        matches!(self, Self::Unavailable | Self::Internal)
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FieldError {
    /// The field's path in the request body, such as `rules[0].start`.
    pub field: String,
    /// What is wrong with it, for a person.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Implemented by every domain's error enum.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    /// How the gateway should answer.
    fn kind(&self) -> ErrorKind;
    /// A stable code such as `appointment.slot_taken`.
    fn code(&self) -> &'static str;
    /// Per-field details for validation failures.
    fn field_errors(&self) -> Vec<FieldError> {
        Vec::new()
    }
    /// For `TooManyRequests`: when to try again.
    fn retry_after(&self) -> Option<std::time::Duration> {
        None
    }
}

/// Classifies a database error: a lost or exhausted connection, or a
/// transaction that lost to others (see [`is_contention`]), is an outage
/// (503, worth a retry); anything else is our bug (500).
pub fn db_error_kind(err: &DbErr) -> ErrorKind {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => ErrorKind::Unavailable,
        _ if is_contention(err) => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

/// SQLite's result codes for "another connection holds the lock":
/// `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6) with their extended forms.
const SQLITE_CONTENTION: [&str; 7] = ["5", "261", "517", "773", "6", "262", "518"];
/// PostgreSQL's SQLSTATEs for the same: serialization failure, deadlock
/// detected, lock not available.
const POSTGRES_CONTENTION: [&str; 3] = ["40001", "40P01", "55P03"];

/// Whether the database refused a statement because other transactions
/// held what it needed past the wait allowed (SQLite busy or locked after
/// its busy timeout; a PostgreSQL serialization failure, deadlock or lock
/// timeout). Neither the request nor our code is wrong: the same request
/// succeeds when tried again, so it is a 503, not a 500.
pub fn is_contention(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let Some(code) = e.as_database_error().and_then(|db| db.code()) else {
        return false;
    };
    SQLITE_CONTENTION.contains(&code.as_ref()) || POSTGRES_CONTENTION.contains(&code.as_ref())
}

/// Flattens `validator`'s nested errors into `field` paths with messages.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("is invalid ({})", e.code));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// The most of an error message kept in a `last_error` column.
pub const STORED_ERROR_CHARS: usize = 1000;

/// An error message cut to what a `last_error` column keeps.
pub fn stored_error(message: &str) -> String {
    message.chars().take(STORED_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[tokio::test]
    async fn a_writer_locked_out_by_another_is_unavailable_not_a_bug() {
        use crate::db::WriteTransaction;
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("locks.db").display());
        let options = crate::db::DbOptions {
            sqlite_busy_timeout: std::time::Duration::ZERO,
            ..crate::db::DbOptions::default()
        };
        let (first, second) = (
            crate::db::connect(&url, &options).await.expect("connect"),
            crate::db::connect(&url, &options).await.expect("connect"),
        );
        first
            .execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("create");
        let holding = first.begin_write().await.expect("begin");
        holding
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("the first writer takes the lock");
        let locked_out = second
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect_err("the second writer finds it taken");
        assert!(is_contention(&locked_out), "{locked_out:?}");
        assert_eq!(db_error_kind(&locked_out), ErrorKind::Unavailable);

        let broken = second
            .execute_unprepared("INSERT INTO nowhere VALUES (1)")
            .await
            .expect_err("no such table");
        assert!(!is_contention(&broken));
        assert_eq!(db_error_kind(&broken), ErrorKind::Internal);
        holding.rollback().await.expect("rollback");
    }

    #[derive(Validate)]
    struct Rule {
        #[validate(length(min = 5, message = "must be HH:MM"))]
        start: String,
    }

    #[derive(Validate)]
    struct Body {
        #[validate(email(message = "must be an email address"))]
        email: String,
        #[validate(nested)]
        rules: Vec<Rule>,
    }

    #[test]
    fn nested_validation_errors_become_paths() {
        let body = Body {
            email: "nope".into(),
            rules: vec![
                Rule {
                    start: "09:00".into(),
                },
                Rule { start: "9".into() },
            ],
        };
        let errors = body.validate().err().map(|e| field_errors(&e));
        assert_eq!(
            errors,
            Some(vec![
                FieldError::new("email", "must be an email address"),
                FieldError::new("rules[1].start", "must be HH:MM"),
            ])
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(ErrorKind::Conflict.status(), 409);
        assert!(ErrorKind::Unavailable.is_server_fault());
        assert!(!ErrorKind::NotFound.is_server_fault());
    }
}
