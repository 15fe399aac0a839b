//! Billing over HTTP: the price list, an organization's subscription through
//! a fake Stripe, signed webhooks, and invoices (every response is checked
//! against the spec).

mod invoices;
mod plans;
mod stripe;
