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
    /// No such invoice in the organization.
    #[error("invoice not found")]
    InvoiceNotFound,
    /// No such line on the invoice.
    #[error("invoice item not found")]
    ItemNotFound,
    /// No such agency client in the organization.
    #[error("client not found")]
    ClientNotFound,
    /// The invoice cannot move from its status to the one asked.
    #[error("an invoice cannot go from {from} to {to}")]
    InvalidTransition {
        /// Its status.
        from: &'static str,
        /// The one asked.
        to: &'static str,
    },
    /// Only drafts can be changed.
    #[error("only a draft invoice can be changed")]
    NotDraft,
    /// Deleting would leave a gap in the numbers.
    #[error("only the latest draft can be deleted (numbers stay gap-free); void it instead")]
    NotDeletable,
    /// Some time is billed already, not billable or running.
    #[error("some time entries cannot be billed: already billed, not billable or running")]
    NotBillable,
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

impl From<trellis_kernel::ports::BillableTimeError> for Error {
    fn from(error: trellis_kernel::ports::BillableTimeError) -> Self {
        use trellis_kernel::ports::BillableTimeError as E;
        match error {
            E::ClientNotFound => Self::ClientNotFound,
            E::NotBillable => Self::NotBillable,
            E::Validation(errors) => Self::Validation(errors),
            E::Access(e) => Self::Access(e),
            E::Database(e) => Self::Database(e),
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
            Self::NotConfigured | Self::Provider(_) => K::Unavailable,
            Self::AlreadySubscribed | Self::NoCustomer => K::Conflict,
            Self::Signature(_) | Self::MalformedEvent(_) => K::BadRequest,
            Self::Access(e) => e.kind(),
            Self::InvoiceNotFound | Self::ItemNotFound | Self::ClientNotFound => K::NotFound,
            Self::InvalidTransition { .. }
            | Self::NotDraft
            | Self::NotDeletable
            | Self::NotBillable => K::Conflict,
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
            Self::InvoiceNotFound => "invoice.not_found",
            Self::ItemNotFound => "invoice_item.not_found",
            Self::ClientNotFound => "agency_client.not_found",
            Self::InvalidTransition { .. } => "invoice.invalid_transition",
            Self::NotDraft => "invoice.not_draft",
            Self::NotDeletable => "invoice.not_deletable",
            Self::NotBillable => "time_entry.not_billable",
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
