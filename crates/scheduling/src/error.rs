//! The scheduling domain's errors. `Display` is safe to show a user.

use sea_orm::DbErr;
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
    ports::{AccessError, LimitReached},
};

use crate::status::AppointmentStatus;

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything scheduling operations can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// The caller has no professional profile (or the slug is unknown).
    #[error("professional not found")]
    ProfessionalNotFound,
    /// The caller already has a professional profile.
    #[error("you already have a professional profile")]
    ProfessionalExists,
    /// The slug is taken or reserved.
    #[error("this slug is taken")]
    SlugTaken,
    /// No such service among the professional's.
    #[error("service not found")]
    ServiceNotFound,
    /// No such client among the professional's.
    #[error("client not found")]
    ClientNotFound,
    /// No such appointment visible to the caller.
    #[error("appointment not found")]
    AppointmentNotFound,
    /// No such recurring schedule.
    #[error("recurring schedule not found")]
    RecurringNotFound,
    /// No such time off.
    #[error("time off not found")]
    TimeOffNotFound,
    /// Another appointment (or its buffers) holds this time.
    #[error("this time is no longer available")]
    SlotTaken,
    /// The time is outside availability, notice or advance limits.
    #[error("this time cannot be booked: {0}")]
    SlotUnavailable(&'static str),
    /// A status change the state machine forbids.
    #[error("an appointment that is {from} cannot become {to}")]
    InvalidTransition {
        /// Current status.
        from: &'static str,
        /// Requested status.
        to: &'static str,
    },
    /// Too late to cancel.
    #[error("this appointment can no longer be cancelled online")]
    CancellationWindowPassed,
    /// A client with this phone or email already exists.
    #[error("a client with this phone or email already exists")]
    ClientExists,
    /// Only the client of a completed appointment may review it.
    #[error("only the client of a completed appointment can review it")]
    ReviewNotAllowed,
    /// The appointment has a review already.
    #[error("this appointment has been reviewed already")]
    ReviewExists,
    /// The organization's plan allows no more (clients, recurring schedules).
    #[error(transparent)]
    PlanLimit(#[from] LimitReached),
    /// Organization access refused.
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

    /// A refused status change.
    pub fn transition(from: AppointmentStatus, to: AppointmentStatus) -> Self {
        Self::InvalidTransition {
            from: from.as_str(),
            to: to.as_str(),
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
            Self::Validation(_) | Self::SlotUnavailable(_) => K::Unprocessable,
            Self::ProfessionalNotFound
            | Self::ServiceNotFound
            | Self::ClientNotFound
            | Self::AppointmentNotFound
            | Self::TimeOffNotFound
            | Self::RecurringNotFound => K::NotFound,
            Self::ProfessionalExists
            | Self::SlugTaken
            | Self::SlotTaken
            | Self::InvalidTransition { .. }
            | Self::CancellationWindowPassed
            | Self::ClientExists => K::Conflict,
            Self::ReviewNotAllowed => K::Forbidden,
            Self::PlanLimit(e) => e.kind(),
            Self::ReviewExists => K::Conflict,
            Self::Access(e) => e.kind(),
            Self::Database(e) => db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::ProfessionalNotFound => "professional.not_found",
            Self::ProfessionalExists => "professional.exists",
            Self::SlugTaken => "professional.slug_taken",
            Self::ServiceNotFound => "service.not_found",
            Self::ClientNotFound => "client.not_found",
            Self::AppointmentNotFound => "appointment.not_found",
            Self::TimeOffNotFound => "time_off.not_found",
            Self::RecurringNotFound => "recurring_schedule.not_found",
            Self::SlotTaken => "appointment.slot_taken",
            Self::SlotUnavailable(_) => "appointment.slot_unavailable",
            Self::InvalidTransition { .. } => "appointment.invalid_transition",
            Self::CancellationWindowPassed => "appointment.cancellation_window_passed",
            Self::ClientExists => "client.exists",
            Self::PlanLimit(e) => e.code(),
            Self::ReviewNotAllowed => "review.not_allowed",
            Self::ReviewExists => "review.exists",
            Self::Access(e) => e.code(),
            Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }
}
