//! The time-tracking domain's errors. `Display` is safe to show a user.

use sea_orm::{DbErr, SqlErr};
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
    ports::AccessError,
};

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything time-tracking operations can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// No such agency client in the organization.
    #[error("client not found")]
    ClientNotFound,
    /// No such project in the organization.
    #[error("project not found")]
    ProjectNotFound,
    /// No such task in the organization.
    #[error("task not found")]
    TaskNotFound,
    /// No such comment on the task.
    #[error("comment not found")]
    CommentNotFound,
    /// No such time entry in the organization.
    #[error("time entry not found")]
    EntryNotFound,
    /// The client still has projects.
    #[error("this client has projects; archive it instead of deleting it")]
    ClientInUse,
    /// The project still has tasks or time entries.
    #[error("this project has tasks or time entries; archive it instead of deleting it")]
    ProjectInUse,
    /// The task has time entries.
    #[error("time was logged on this task; mark it done instead of deleting it")]
    TaskInUse,
    /// Another project of the organization has this code.
    #[error("another project has this code")]
    ProjectCodeTaken,
    /// The project is archived: no new time goes to it.
    #[error("this project is archived")]
    ProjectArchived,
    /// The entry overlaps another entry of the same person.
    #[error("this time overlaps another entry of the same person")]
    Overlap,
    /// The person already has a running timer.
    #[error("a timer is already running")]
    TimerRunning,
    /// Stop was asked with no timer running.
    #[error("no timer is running")]
    NoTimer,
    /// The entry is on an invoice: release it from the invoice first.
    #[error("this time entry is on an invoice")]
    Billed,
    /// Some entries to bill are billed already, not billable, running or unknown.
    #[error("some entries cannot be billed: already billed, not billable, running or unknown")]
    NotBillable,
    /// The entry starts before the organization's lock date.
    #[error("time before the lock date can only be changed by an admin")]
    Locked,
    /// A member changing someone else's entry.
    #[error("only the entry's owner or an admin can change it")]
    NotOwner,
    /// Someone other than the author changing a comment.
    #[error("only its author can change a comment")]
    NotAuthor,
    /// After rounding, the entry has no length.
    #[error("the entry must end after it starts (after rounding)")]
    TooShort,
    /// No such import in the organization's history.
    #[error("import not found")]
    ImportNotFound,
    /// The CSV export could not be written.
    #[error("the CSV could not be written")]
    CsvWrite(#[source] csv_async::Error),
    /// Organization access refused (or a role too weak for the operation).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
}

impl Error {
    /// A single invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The admin role is needed (403 `org.role_required`).
    pub(crate) fn admin_required() -> Self {
        Self::Access(AccessError::RoleTooWeak("admin"))
    }

    /// Maps a foreign-key violation (a delete refused while rows still
    /// point at the row) to `in_use`, anything else to a database error.
    pub(crate) fn in_use(in_use: Self) -> impl FnOnce(DbErr) -> Self {
        move |err| match err.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => in_use,
            _ => Self::Database(err),
        }
    }

    /// Maps a unique violation to `taken`, anything else to a database error.
    pub(crate) fn unique(taken: Self) -> impl FnOnce(DbErr) -> Self {
        move |err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => taken,
            _ => Self::Database(err),
        }
    }
}

impl From<validator::ValidationErrors> for Error {
    fn from(errors: validator::ValidationErrors) -> Self {
        Self::Validation(field_errors(&errors))
    }
}

impl DomainError for Error {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::Validation(_) | Self::TooShort => K::Unprocessable,
            Self::ClientNotFound
            | Self::ProjectNotFound
            | Self::TaskNotFound
            | Self::CommentNotFound
            | Self::EntryNotFound
            | Self::ImportNotFound => K::NotFound,
            Self::ClientInUse
            | Self::ProjectInUse
            | Self::TaskInUse
            | Self::ProjectCodeTaken
            | Self::ProjectArchived
            | Self::Overlap
            | Self::TimerRunning
            | Self::NoTimer
            | Self::Billed
            | Self::NotBillable => K::Conflict,
            Self::Locked | Self::NotOwner | Self::NotAuthor => K::Forbidden,
            Self::Access(e) => e.kind(),
            Self::CsvWrite(_) => K::Internal,
            Self::Database(e) => db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::ClientNotFound => "agency_client.not_found",
            Self::ProjectNotFound => "project.not_found",
            Self::TaskNotFound => "task.not_found",
            Self::CommentNotFound => "task_comment.not_found",
            Self::EntryNotFound => "time_entry.not_found",
            Self::ClientInUse => "agency_client.in_use",
            Self::ProjectInUse => "project.in_use",
            Self::TaskInUse => "task.in_use",
            Self::ProjectCodeTaken => "project.code_taken",
            Self::ProjectArchived => "project.archived",
            Self::Overlap => "time_entry.overlap",
            Self::TimerRunning => "time_entry.timer_running",
            Self::NoTimer => "time_entry.no_timer",
            Self::Billed => "time_entry.billed",
            Self::NotBillable => "time_entry.not_billable",
            Self::Locked => "time_entry.locked",
            Self::NotOwner => "time_entry.not_owner",
            Self::NotAuthor => "task_comment.not_author",
            Self::TooShort => "time_entry.too_short",
            Self::ImportNotFound => "time_import.not_found",
            Self::Access(e) => e.code(),
            Self::CsvWrite(_) | Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            Self::TooShort => vec![FieldError::new(
                "end_at",
                "must be after start_at once rounded",
            )],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        assert_eq!(Error::ProjectInUse.kind().status(), 409);
        assert_eq!(Error::ProjectInUse.code(), "project.in_use");
        assert_eq!(Error::Overlap.code(), "time_entry.overlap");
        assert_eq!(Error::Locked.kind().status(), 403);
        assert_eq!(Error::TooShort.kind().status(), 422);
        assert_eq!(Error::admin_required().kind().status(), 403);
        assert_eq!(Error::admin_required().code(), "org.role_required");
        assert_eq!(Error::TimerRunning.kind().status(), 409);
        assert_eq!(Error::ImportNotFound.kind().status(), 404);
        assert_eq!(Error::ImportNotFound.code(), "time_import.not_found");
    }
}
