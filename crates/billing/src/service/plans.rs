//! The plans on sale.

use std::sync::Arc;

use super::BillingDeps;
use crate::model::PlanView;

/// The price list.
#[derive(Debug, Clone)]
pub struct PlanService {
    deps: Arc<BillingDeps>,
}

impl PlanService {
    pub(crate) fn new(deps: Arc<BillingDeps>) -> Self {
        Self { deps }
    }

    /// Every plan, cheapest first.
    pub fn list(&self) -> Vec<PlanView> {
        self.deps
            .catalog
            .plans()
            .iter()
            .map(PlanView::from)
            .collect()
    }
}
