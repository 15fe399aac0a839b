//! The events identity records in the outbox.
//!
//! Identity words its own emails (verification and reset links) and records
//! each as an [`EMAIL`] event in the transaction that creates the link, with
//! the [`OutgoingEmail`](trellis_kernel::ports::OutgoingEmail) as payload.
//! The event is sensitive (it holds a one-time link), so its payload is
//! erased once delivered. The gateway subscribes a mailer to it.

/// An email to send; payload `OutgoingEmail`.
pub const EMAIL: &str = "identity.email";

/// Every event kind identity records.
pub const KINDS: &[&str] = &[EMAIL];
