//! The vault's errors. `Display` is safe to show a user; an integrity
//! failure shows nothing but the error id the gateway adds.

use sea_orm::{DbErr, SqlErr};
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
    ports::{AccessError, LimitReached},
};

use crate::crypto::CryptoError;

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything vault operations can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// No such credential in the organization.
    #[error("credential not found")]
    NotFound,
    /// The credential has no such version.
    #[error("credential version not found")]
    VersionNotFound,
    /// The person holds no grant on the credential.
    #[error("grant not found")]
    GrantNotFound,
    /// A member without a grant on the credential asked for its secret.
    #[error("revealing this credential needs an admin or a grant from one")]
    RevealForbidden,
    /// A member asked for an older version (admins only).
    #[error("only admins can reveal an older version")]
    OlderVersionForbidden,
    /// A stored ciphertext or wrapped key failed authentication: it was
    /// changed or moved to another row. Answered as a bare 500.
    #[error("vault integrity check failed")]
    Integrity(#[source] CryptoError),
    /// The organization's plan allows no more credentials.
    #[error(transparent)]
    PlanLimit(#[from] LimitReached),
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

    /// A foreign-key violation on insert means a linked client or project
    /// was deleted since it was checked.
    pub(crate) fn link_gone(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::field(
                "client_id",
                "no such client or project in this organization",
            ),
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
            Self::Validation(_) => K::Unprocessable,
            Self::NotFound | Self::VersionNotFound | Self::GrantNotFound => K::NotFound,
            Self::RevealForbidden | Self::OlderVersionForbidden => K::Forbidden,
            Self::Integrity(_) => K::Internal,
            Self::PlanLimit(e) => e.kind(),
            Self::Access(e) => e.kind(),
            Self::Database(e) => db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::NotFound => "credential.not_found",
            Self::VersionNotFound => "credential.version_not_found",
            Self::GrantNotFound => "credential.grant_not_found",
            Self::RevealForbidden => "credential.reveal_forbidden",
            Self::OlderVersionForbidden => "credential.older_version_forbidden",
            Self::PlanLimit(e) => e.code(),
            Self::Access(e) => e.code(),
            // Nothing about the cause leaves the process.
            Self::Integrity(_) | Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        assert_eq!(Error::NotFound.kind().status(), 404);
        assert_eq!(Error::RevealForbidden.kind().status(), 403);
        assert_eq!(Error::RevealForbidden.code(), "credential.reveal_forbidden");
        assert_eq!(
            Error::Access(AccessError::RoleTooWeak("admin")).code(),
            "org.role_required"
        );
        let integrity = Error::Integrity(CryptoError::Integrity);
        assert_eq!(integrity.kind().status(), 500);
        assert_eq!(integrity.code(), "internal");
    }
}
