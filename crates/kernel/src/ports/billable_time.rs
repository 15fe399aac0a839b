//! Unbilled time for invoices: what billing needs from time tracking.
//!
//! Billing builds an invoice from an agency client's unbilled billable time
//! and marks that time billed in the invoice's own transaction; voiding the
//! invoice releases it in the void's transaction. Every method runs on the
//! caller's transaction, so the invoice and the time entries commit
//! together or not at all. Time tracking implements it (the gateway wires
//! the adapter); ids are plain UUIDs so billing needs no time-tracking type.

use chrono::NaiveDate;
use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::{
    FieldError,
    ports::{AccessError, OrgAccess},
};

/// An agency client as an invoice addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableClient {
    /// The client (time tracking's `agency_clients.id`).
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Where invoices are sent.
    pub email: Option<String>,
    /// Its postal address.
    pub address: Option<String>,
    /// Its currency (ISO 4217).
    pub currency: String,
}

/// One stopped, billable, not yet invoiced time entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbilledTime {
    /// The entry.
    pub entry_id: Uuid,
    /// Its project.
    pub project_id: Uuid,
    /// The project's name.
    pub project_name: String,
    /// Length in seconds.
    pub seconds: i64,
    /// Hourly rate in minor units when it was logged; `None`: none was set.
    pub rate_minor: Option<i64>,
    /// ISO 4217 code of the rate.
    pub currency: String,
}

/// Why time could not be read or marked.
#[derive(Debug, thiserror::Error)]
pub enum BillableTimeError {
    /// No such client in the organization.
    #[error("client not found")]
    ClientNotFound,
    /// Some entries are billed already, not billable, running or unknown.
    #[error("some entries cannot be billed")]
    NotBillable,
    /// A field was refused (the period, say).
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// The caller may not do it.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
}

/// Time tracking's billable time, for billing.
#[async_trait::async_trait]
pub trait BillableTime: Send + Sync + 'static {
    /// The organization's agency client `client`.
    async fn client(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        client: Uuid,
    ) -> Result<BillableClient, BillableTimeError>;

    /// The client's unbilled billable time starting between two local dates
    /// (inclusive, in the organization's zone), in start order.
    async fn unbilled(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        client: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UnbilledTime>, BillableTimeError>;

    /// Puts entries on invoice `invoice`: all of them or none
    /// ([`BillableTimeError::NotBillable`]).
    async fn mark_billed(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        entries: &[Uuid],
        invoice: Uuid,
    ) -> Result<u64, BillableTimeError>;

    /// Takes every entry off invoice `invoice`: they are unbilled again.
    async fn release(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        invoice: Uuid,
    ) -> Result<u64, BillableTimeError>;
}
