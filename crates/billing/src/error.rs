//! Billing's errors. `Display` is safe to show a user.

use sea_orm::DbErr;
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
    ports::AccessError,
};

use crate::stripe::{StripeFailed, signature::SignatureError};

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything billing operations can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// Stripe is not configured (`STRIPE_SECRET_KEY`, or
    /// `STRIPE_WEBHOOK_SECRET` for webhooks).
    #[error("payments are not configured on this server")]
    NotConfigured,
    /// Stripe failed or refused a request. The cause is logged, not shown.
    #[error("the payment provider is unavailable; try again shortly")]
    Provider(#[source] StripeFailed),
    /// The organization pays for a plan already: the portal changes it.
    #[error("the organization already has a subscription; change it in the billing portal")]
    AlreadySubscribed,
    /// The portal needs a Stripe customer, made by a first checkout.
    #[error("the organization has no billing account yet; subscribe first")]
    NoCustomer,
    /// A webhook's `Stripe-Signature` does not prove it came from Stripe.
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// A signed webhook whose body is not a Stripe event.
    #[error("the body is not a Stripe event: {0}")]
    MalformedEvent(String),
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
            Self::NotConfigured | Self::Provider(_) => K::Unavailable,
            Self::AlreadySubscribed | Self::NoCustomer => K::Conflict,
            Self::Signature(_) | Self::MalformedEvent(_) => K::BadRequest,
            Self::Access(e) => e.kind(),
            Self::Database(e) => db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::NotConfigured => "billing.not_configured",
            Self::Provider(_) => "billing.provider_unavailable",
            Self::AlreadySubscribed => "billing.already_subscribed",
            Self::NoCustomer => "billing.no_customer",
            Self::Signature(_) => "billing.webhook_signature_invalid",
            Self::MalformedEvent(_) => "billing.webhook_malformed",
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
