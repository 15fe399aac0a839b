//! Billing: what an organization pays Trellis for, and what it bills its
//! own clients.
//!
//! - [`plans`]: the four plans (free, basic, pro, premium), their monthly
//!   prices and the limits each sets. Pure, without I/O.
//! - [`service`]: an organization's subscription (the plan in force, also
//!   the kernel's [`Entitlements`](trellis_kernel::ports::Entitlements)),
//!   Stripe checkout, portal and webhooks, and invoices.
//!
//! Money is integer minor units everywhere; a plan's currency comes from
//! configuration (BRL by default, the product's home market).

pub(crate) mod entities;
pub mod error;
pub mod ids;
pub mod invoice_math;
pub mod jobs;
pub mod model;
pub mod pdf;
pub mod plans;
pub mod service;
pub mod stripe;

pub use error::{Error, Result};
pub use service::{Billing, BillingDeps};
