//! The assistant's errors. `Display` is safe to show a user; a provider's
//! failure shows only that it failed (the cause is logged).

use sea_orm::DbErr;
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
};

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything an assistant operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// No such conversation of the caller's.
    #[error("conversation not found")]
    ConversationNotFound,
    /// A confirmation arrived with no change waiting for one.
    #[error("nothing in this conversation is waiting for confirmation")]
    NothingToConfirm,
    /// Another turn of the same conversation finished first; send again.
    #[error("the conversation changed while this turn ran; send it again")]
    ConversationChanged,
    /// No provider is configured (`TRELLIS_AI_BASE_URL`, `TRELLIS_AI_MODEL`).
    #[error("the assistant is not configured on this server")]
    NotConfigured,
    /// The provider timed out, failed or refused; retrying later may work.
    #[error("the assistant's language model is unavailable; try again shortly")]
    ProviderUnavailable,
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
}

impl Error {
    /// A single invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
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
            Self::Validation(_) => K::Unprocessable,
            Self::ConversationNotFound => K::NotFound,
            Self::NothingToConfirm | Self::ConversationChanged => K::Conflict,
            Self::NotConfigured | Self::ProviderUnavailable => K::Unavailable,
            Self::Database(e) => db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::ConversationNotFound => "assistant.conversation_not_found",
            Self::NothingToConfirm => "assistant.nothing_to_confirm",
            Self::ConversationChanged => "assistant.conversation_changed",
            Self::NotConfigured => "assistant.not_configured",
            Self::ProviderUnavailable => "assistant.unavailable",
            Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::ProviderUnavailable => Some(std::time::Duration::from_secs(10)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_codes_and_retry_advice() {
        assert_eq!(Error::ConversationNotFound.kind().status(), 404);
        assert_eq!(Error::NothingToConfirm.kind().status(), 409);
        assert_eq!(Error::NotConfigured.kind().status(), 503);
        assert_eq!(Error::NotConfigured.code(), "assistant.not_configured");
        assert_eq!(Error::ProviderUnavailable.code(), "assistant.unavailable");
        assert!(Error::ProviderUnavailable.retry_after().is_some());
        assert!(Error::NotConfigured.retry_after().is_none());
    }
}
