//! Billing: the plans on sale (public), an organization's subscription
//! through Stripe, Stripe's webhooks, and the invoices an organization
//! sends its own clients (`/api/v1/orgs/{org_id}/invoices`).

pub mod invoices;
pub mod plans;

/// Billing operations on the public listener.
pub type Public = (plans::PlansApi, invoices::InvoicesApi);

/// Billing has nothing on the internal listener.
pub type Internal = ();
