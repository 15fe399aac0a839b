//! Stripe: the client billing calls, and the webhooks Stripe sends back.

pub mod client;
pub mod event;
pub mod signature;

pub use client::{ReturnUrls, StripeApi, StripeFailed};
