//! `invoice_items`: the lines of an invoice.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

use crate::ids::{InvoiceId, InvoiceItemId};

/// One line.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_items")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: InvoiceItemId,
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Whose.
    pub org_id: OrgId,
    /// Order on the invoice, from 1.
    pub position: i32,
    /// What is billed.
    pub description: String,
    /// Quantity in thousandths.
    pub quantity_milli: i64,
    /// Price of one unit in minor units.
    pub unit_price_minor: i64,
    /// `quantity × unit price`, rounded half up.
    pub amount_minor: i64,
    /// The project the time came from (from time).
    pub project_id: Option<Uuid>,
    /// Added.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
