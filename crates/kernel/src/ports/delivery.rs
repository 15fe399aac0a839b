//! Outgoing messages: the transports other domains hand email and text to.

use std::fmt;

use crate::contact::{Email, Phone};

/// Why a message could not be handed over for delivery.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The channel is down or not configured; retrying later may work.
    #[error("delivery channel unavailable: {0}")]
    Unavailable(String),
    /// The channel refused this message (bad address...).
    #[error("message rejected: {0}")]
    Rejected(String),
}

/// An email to send (serializable: it waits in the outbox until sent).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OutgoingEmail {
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

/// Sends email (SMTP in production, files in development).
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Hands one message to the transport.
    async fn send(&self, email: OutgoingEmail) -> Result<(), DeliveryError>;
}

/// A text message to send.
#[derive(Clone)]
pub struct OutgoingSms {
    /// The recipient.
    pub to: Phone,
    /// The text; may hold a secret code, so it is never logged by `Debug`.
    pub body: String,
}

impl fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingSms")
            .field("to", &self.to.masked())
            .finish_non_exhaustive()
    }
}

/// Sends text messages.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + 'static {
    /// Hands one message to the provider.
    async fn send(&self, sms: OutgoingSms) -> Result<(), DeliveryError>;
}
