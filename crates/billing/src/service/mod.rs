//! Billing services. Each org-scoped method takes the caller's
//! [`OrgAccess`](trellis_kernel::ports::OrgAccess): every query is scoped to
//! that organization, so another organization's ids are simply not found.

mod plans;

use std::sync::Arc;

pub use plans::PlanService;
use trellis_kernel::SharedClock;

use crate::plans::PlanCatalog;

/// What every billing service needs.
#[derive(Clone)]
pub struct BillingDeps {
    /// Now.
    pub clock: SharedClock,
    /// The plans on sale.
    pub catalog: Arc<PlanCatalog>,
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
}

impl Billing {
    /// Wires the services.
    pub fn new(deps: BillingDeps) -> Self {
        let deps = Arc::new(deps);
        Self {
            plans: PlanService::new(deps),
        }
    }
}
