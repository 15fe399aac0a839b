//! Invoices to an organization's agency clients: commands in, views out.

use chrono::NaiveDate;
use poem_openapi::{Enum, Object, types::MaybeUndefined};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::{Timestamp, types::Currency};
use uuid::Uuid;
use validator::Validate;

use crate::ids::{InvoiceId, InvoiceItemId};

/// The largest quantity of one line, in thousandths (one million units).
pub const MAX_QUANTITY_MILLI: i64 = 1_000_000_000;
/// The largest unit price, in minor units.
pub const MAX_UNIT_PRICE_MINOR: i64 = 100_000_000_000;
/// The most lines an invoice has.
pub const MAX_ITEMS: usize = 200;
/// The largest tax rate in basis points (100%).
pub const MAX_TAX_BP: i32 = 10_000;

/// Where an invoice stands.
///
/// `draft → sent → paid`, with `overdue` between sent and paid (set by the
/// daily job once the due date has passed; it can still be paid). A draft,
/// a sent or an overdue invoice can be voided. Paid and void are final:
/// a paid invoice is corrected with a new one, not voided.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InvoiceStatus {
    /// Being written: the only editable state.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Sent to the client.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Sent and past its due date, unpaid.
    #[sea_orm(string_value = "overdue")]
    Overdue,
    /// Paid.
    #[sea_orm(string_value = "paid")]
    Paid,
    /// Cancelled; its number stays used.
    #[sea_orm(string_value = "void")]
    Void,
}

impl InvoiceStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Overdue => "overdue",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    /// Whether an invoice in this state may move to `to`.
    pub fn can_become(self, to: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, to),
            (Draft, Sent)
                | (Sent, Overdue)
                | (Sent | Overdue, Paid)
                | (Draft | Sent | Overdue, Void)
        )
    }
}

/// A status a caller may set (`overdue` is the job's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum InvoiceStatusTarget {
    /// Send a draft: the client is told.
    Sent,
    /// Record payment of a sent or overdue invoice.
    Paid,
    /// Cancel a draft, sent or overdue invoice; time on it is unbilled again.
    Void,
}

impl From<InvoiceStatusTarget> for InvoiceStatus {
    fn from(target: InvoiceStatusTarget) -> Self {
        match target {
            InvoiceStatusTarget::Sent => Self::Sent,
            InvoiceStatusTarget::Paid => Self::Paid,
            InvoiceStatusTarget::Void => Self::Void,
        }
    }
}

/// Move an invoice to another status (admins).
#[derive(Debug, Clone, Object)]
pub struct ChangeInvoiceStatus {
    /// The new status.
    pub status: InvoiceStatusTarget,
}

/// A line to add.
#[derive(Debug, Clone, Object, Validate, Serialize, Deserialize)]
pub struct NewInvoiceItem {
    /// What is billed (1 to 500 characters).
    #[validate(length(min = 1, max = 500))]
    pub description: String,
    /// Quantity in thousandths: 1500 is 1.5 (1 to 1,000,000,000).
    #[validate(range(min = 1, max = 1_000_000_000))]
    pub quantity_milli: i64,
    /// Price of one unit in minor units (0 to 100,000,000,000).
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    pub unit_price_minor: i64,
}

/// Change a line; absent fields stay.
#[derive(Debug, Clone, Default, Object, Validate)]
pub struct UpdateInvoiceItem {
    /// What is billed.
    #[validate(length(min = 1, max = 500))]
    pub description: Option<String>,
    /// Quantity in thousandths.
    #[validate(range(min = 1, max = 1_000_000_000))]
    pub quantity_milli: Option<i64>,
    /// Price of one unit in minor units.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    pub unit_price_minor: Option<i64>,
}

/// Create a draft invoice (admins). Its number is taken now.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateInvoice {
    /// The agency client billed.
    pub client_id: Uuid,
    /// The currency; the client's when absent.
    pub currency: Option<Currency>,
    /// Issued on; today (UTC) when absent. Its year is the number's.
    pub issue_date: Option<NaiveDate>,
    /// Due on, not before the issue date; 30 days after issue when absent.
    pub due_date: Option<NaiveDate>,
    /// Tax in basis points, 0 to 10000 (1500 is 15%); 0 when absent.
    #[validate(range(min = 0, max = 10_000))]
    pub tax_bp: Option<i32>,
    /// Printed on the invoice (up to 2000 characters).
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
    /// Its first lines.
    #[oai(default)]
    #[validate(nested, length(max = 200))]
    pub items: Vec<NewInvoiceItem>,
}

/// Create a draft from a client's unbilled billable time (admins).
#[derive(Debug, Clone, Object, Validate)]
pub struct InvoiceFromTime {
    /// The agency client billed.
    pub client_id: Uuid,
    /// First day of the period (in the organization's zone).
    pub from: NaiveDate,
    /// Last day of the period, inclusive.
    pub to: NaiveDate,
    /// Issued on; today (UTC) when absent.
    pub issue_date: Option<NaiveDate>,
    /// Due on; 30 days after issue when absent.
    pub due_date: Option<NaiveDate>,
    /// Tax in basis points, 0 to 10000.
    #[validate(range(min = 0, max = 10_000))]
    pub tax_bp: Option<i32>,
    /// Printed on the invoice.
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
}

/// Change a draft (admins); absent fields stay, `null` clears `notes`.
#[derive(Debug, Clone, Default, Object, Validate)]
pub struct UpdateInvoice {
    /// The currency.
    pub currency: Option<Currency>,
    /// Issued on (within the year of the invoice's number).
    pub issue_date: Option<NaiveDate>,
    /// Due on, not before the issue date.
    pub due_date: Option<NaiveDate>,
    /// Tax in basis points, 0 to 10000.
    #[validate(range(min = 0, max = 10_000))]
    pub tax_bp: Option<i32>,
    /// Printed on the invoice.
    pub notes: MaybeUndefined<String>,
}

/// Which invoices to list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Only in this status.
    pub status: Option<InvoiceStatus>,
    /// Only to this client.
    pub client_id: Option<Uuid>,
}

/// Who an invoice is addressed to, as it was billed.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct BillToView {
    /// The client's name.
    pub name: String,
    /// Where it is sent.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Postal address.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct InvoiceItemView {
    /// The id.
    pub id: InvoiceItemId,
    /// Order on the invoice, from 1.
    pub position: i32,
    /// What is billed.
    pub description: String,
    /// Quantity in thousandths (1500 is 1.5).
    pub quantity_milli: i64,
    /// Price of one unit in minor units.
    pub unit_price_minor: i64,
    /// `quantity_milli × unit_price_minor / 1000`, rounded half up.
    pub amount_minor: i64,
    /// The project the time came from.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
}

/// An invoice with its lines and totals.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct InvoiceView {
    /// The id.
    pub id: InvoiceId,
    /// `INV-2026-0001`: per organization and year of issue, without gaps.
    pub number: String,
    /// The agency client billed.
    pub client_id: Uuid,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// The currency of every amount.
    pub currency: Currency,
    /// Issued on.
    pub issue_date: NaiveDate,
    /// Due on.
    pub due_date: NaiveDate,
    /// Tax in basis points (1500 is 15%).
    pub tax_bp: i32,
    /// Sum of the line amounts, minor units.
    pub subtotal_minor: i64,
    /// `subtotal × tax_bp / 10000`, rounded half up.
    pub tax_minor: i64,
    /// Subtotal plus tax.
    pub total_minor: i64,
    /// Printed on the invoice.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Who it is addressed to.
    pub bill_to: BillToView,
    /// First day of the time billed (invoices made from time).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_from: Option<NaiveDate>,
    /// Last day of the time billed.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_to: Option<NaiveDate>,
    /// When it was sent.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// When it became overdue.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_at: Option<Timestamp>,
    /// When it was paid.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<Timestamp>,
    /// When it was voided.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voided_at: Option<Timestamp>,
    /// Its lines, in order.
    pub items: Vec<InvoiceItemView>,
    /// Made.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use trellis_kernel::testing::assert_same_json;

    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp(DateTime::from_timestamp(secs, 0).unwrap_or_default())
    }

    #[test]
    fn views_are_written_as_their_schema_says() {
        for set in [true, false] {
            let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
            let view = assert_same_json(&InvoiceView {
                id: InvoiceId::new(),
                number: "INV-2026-0001".into(),
                client_id: Uuid::now_v7(),
                status: InvoiceStatus::Sent,
                currency: "BRL".parse().unwrap(),
                issue_date: date,
                due_date: date,
                tax_bp: 1_500,
                subtotal_minor: 10_000,
                tax_minor: 1_500,
                total_minor: 11_500,
                notes: set.then(|| "Thanks".into()),
                bill_to: BillToView {
                    name: "Acme".into(),
                    email: set.then(|| "billing@acme.example".into()),
                    address: set.then(|| "1 Main St".into()),
                },
                period_from: set.then_some(date),
                period_to: set.then_some(date),
                sent_at: set.then(|| at(1_790_000_000)),
                overdue_at: set.then(|| at(1_790_000_000)),
                paid_at: set.then(|| at(1_790_000_000)),
                voided_at: set.then(|| at(1_790_000_000)),
                items: vec![InvoiceItemView {
                    id: InvoiceItemId::new(),
                    position: 1,
                    description: "Design".into(),
                    quantity_milli: 1_500,
                    unit_price_minor: 10_000,
                    amount_minor: 15_000,
                    project_id: set.then(Uuid::now_v7),
                }],
                created_at: at(1_790_000_000),
                updated_at: at(1_790_000_000),
            });
            if !set {
                assert!(view.get("notes").is_none(), "absent, not null: {view}");
            }
        }
    }

    #[test]
    fn the_state_machine_allows_only_its_arrows() {
        use InvoiceStatus::*;
        let all = [Draft, Sent, Overdue, Paid, Void];
        let allowed = [
            (Draft, Sent),
            (Draft, Void),
            (Sent, Overdue),
            (Sent, Paid),
            (Sent, Void),
            (Overdue, Paid),
            (Overdue, Void),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }
}
