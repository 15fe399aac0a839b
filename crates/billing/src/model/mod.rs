//! Commands billing accepts and views it returns, one file per aggregate.

mod invoice;
mod plan;
mod subscription;

pub use invoice::{
    BillToView, ChangeInvoiceStatus, CreateInvoice, InvoiceFilter, InvoiceFromTime,
    InvoiceItemView, InvoiceStatus, InvoiceStatusTarget, InvoiceView, MAX_ITEMS,
    MAX_QUANTITY_MILLI, MAX_TAX_BP, MAX_UNIT_PRICE_MINOR, NewInvoiceItem, UpdateInvoice,
    UpdateInvoiceItem,
};
pub use plan::{PlanLimitsView, PlanView};
pub use subscription::{
    RedirectView, StartCheckout, SubscriptionStatus, SubscriptionView, WebhookOutcome,
    WebhookReceipt,
};
