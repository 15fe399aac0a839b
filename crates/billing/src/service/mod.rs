//! Billing services. Each org-scoped method takes the caller's
//! [`OrgAccess`](trellis_kernel::ports::OrgAccess): every query is scoped to
//! that organization, so another organization's ids are simply not found.

mod invoices;
mod organization;
mod plans;
mod subscriptions;
mod webhooks;

use std::sync::Arc;

pub use invoices::{InvoicePdf, InvoiceService};
pub use plans::PlanService;
use secrecy::SecretString;
pub use subscriptions::{PLAN_CACHE_TTL, PlanEntitlements, SubscriptionService};
use trellis_kernel::{
    SharedClock,
    ports::{BillableTime, People},
};
pub use webhooks::WebhookService;

use crate::{
    plans::PlanCatalog,
    stripe::{ReturnUrls, StripeApi},
};

/// What every billing service needs.
#[derive(Clone)]
pub struct BillingDeps {
    /// Now.
    pub clock: SharedClock,
    /// The plans on sale.
    pub catalog: Arc<PlanCatalog>,
    /// Stripe's API; `None` when not configured (checkout and portal
    /// answer 503 `billing.not_configured`).
    pub stripe: Option<StripeApi>,
    /// The webhook endpoint's signing secret; `None` refuses every webhook.
    pub webhook_secret: Option<SecretString>,
    /// Where Stripe sends people back to (also the billing link in notices).
    pub urls: ReturnUrls,
    /// Who owns an organization (payment and subscription notices).
    pub people: Arc<dyn People>,
    /// Time tracking's unbilled time (invoices from time).
    pub billable_time: Arc<dyn BillableTime>,
    /// The app's base URL, for links in invoice notifications.
    pub app_url: String,
}

impl std::fmt::Debug for BillingDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BillingDeps")
            .field("catalog", &self.catalog)
            .field("stripe", &self.stripe)
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

/// Every billing service.
#[derive(Debug, Clone)]
pub struct Billing {
    /// The plans on sale.
    pub plans: PlanService,
    /// Subscriptions, checkout, portal, and the plan in force.
    pub subscriptions: SubscriptionService,
    /// Stripe's webhooks.
    pub webhooks: WebhookService,
    /// Invoices to the organization's clients.
    pub invoices: InvoiceService,
}

impl Billing {
    /// Wires the services.
    pub fn new(deps: BillingDeps) -> Self {
        let deps = Arc::new(deps);
        let subscriptions = SubscriptionService::new(deps.clone());
        Self {
            plans: PlanService::new(deps.clone()),
            webhooks: WebhookService::new(deps.clone(), subscriptions.clone()),
            subscriptions,
            invoices: InvoiceService::new(deps),
        }
    }
}
