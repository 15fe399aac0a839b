//! Billing: the plans on sale (public), an organization's subscription
//! through Stripe (`?org_id=`, checked like `/orgs/{org_id}` routes),
//! Stripe's webhooks, and the invoices an organization sends its own
//! clients (`/api/v1/orgs/{org_id}/invoices`).

pub mod invoices;
pub mod plans;
pub mod subscription;
pub mod webhooks;

/// Billing operations on the public listener.
pub type Public = (
    plans::PlansApi,
    subscription::SubscriptionApi,
    webhooks::WebhooksApi,
    invoices::InvoicesApi,
);

/// Billing has nothing on the internal listener.
pub type Internal = ();
