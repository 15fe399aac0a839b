//! Billing services. Each org-scoped method takes the caller's
//! [`OrgAccess`](trellis_kernel::ports::OrgAccess): every query is scoped to
//! that organization, so another organization's ids are simply not found.

mod invoices;
mod plans;

use std::sync::Arc;

pub use invoices::{InvoicePdf, InvoiceService};
pub use plans::PlanService;
use trellis_kernel::{SharedClock, ports::BillableTime};

use crate::plans::PlanCatalog;

/// What every billing service needs.
#[derive(Clone)]
pub struct BillingDeps {
    /// Now.
    pub clock: SharedClock,
    /// The plans on sale.
    pub catalog: Arc<PlanCatalog>,
    /// Time tracking's unbilled time (invoices from time).
    pub billable_time: Arc<dyn BillableTime>,
    /// The app's base URL, for links in invoice notifications.
    pub app_url: String,
}

impl std::fmt::Debug for BillingDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BillingDeps")
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

/// Every billing service.
#[derive(Debug, Clone)]
pub struct Billing {
    /// The plans on sale.
    pub plans: PlanService,
    /// Invoices to the organization's clients.
    pub invoices: InvoiceService,
}

impl Billing {
    /// Wires the services.
    pub fn new(deps: BillingDeps) -> Self {
        let deps = Arc::new(deps);
        Self {
            plans: PlanService::new(deps.clone()),
            invoices: InvoiceService::new(deps),
        }
    }
}
