//! `invoices`: an invoice to one of the organization's agency clients.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::{ids::InvoiceId, model::InvoiceStatus};

/// An invoice and its totals.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: InvoiceId,
    /// Whose.
    pub org_id: OrgId,
    /// The agency client billed (time tracking's `agency_clients`).
    pub client_id: Uuid,
    /// `INV-2026-0001`.
    pub number: String,
    /// Year of issue the number belongs to.
    pub year: i32,
    /// Its place in the year.
    pub seq: i32,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// ISO 4217 code.
    pub currency: String,
    /// Issued on.
    pub issue_date: Date,
    /// Due on.
    pub due_date: Date,
    /// Tax in basis points.
    pub tax_bp: i32,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Tax on the subtotal.
    pub tax_minor: i64,
    /// Subtotal plus tax.
    pub total_minor: i64,
    /// Free text printed on the invoice.
    pub notes: Option<String>,
    /// The client's name as billed.
    pub bill_to_name: String,
    /// The client's email as billed.
    pub bill_to_email: Option<String>,
    /// The client's address as billed.
    pub bill_to_address: Option<String>,
    /// First day of the time billed (from time).
    pub period_from: Option<Date>,
    /// Last day of the time billed (from time).
    pub period_to: Option<Date>,
    /// When it was sent.
    pub sent_at: Option<DateTimeUtc>,
    /// When it became overdue.
    pub overdue_at: Option<DateTimeUtc>,
    /// When it was paid.
    pub paid_at: Option<DateTimeUtc>,
    /// When it was voided.
    pub voided_at: Option<DateTimeUtc>,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// Made.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
