//! The ways a notification reaches someone, each behind [`Channel`]: one
//! implementation per provider, built from configuration by the gateway.

use std::time::Duration;

use trellis_kernel::notify::ChannelKind;

use super::message::Rendered;

/// One message to hand to a provider.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The delivery's id: sent as the provider's idempotency key where it
    /// has one (the email's `Message-ID`), so a retry after a crash between
    /// "sent" and "recorded" is recognisable as the same message.
    pub key: &'a str,
    /// The address: an email, an E.164 phone, or a push device token.
    pub to: &'a str,
    /// The recipient's display name.
    pub name: &'a str,
    /// What to send (its variant matches the channel).
    pub message: &'a Rendered,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id for it (kept on the delivery, for support).
    pub provider_id: String,
}

/// Why a provider did not accept a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Refused for good (a 4xx, a bad address): the delivery is dead, no retry.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The push token is no longer registered: dead, and the device is forgotten.
    #[error("device token unregistered: {0}")]
    Unregistered(String),
    /// Worth another try (429, 5xx, a timeout, a refused connection), no
    /// sooner than `after` when the provider said so (`Retry-After`).
    #[error("temporarily failed: {reason}")]
    Retry {
        /// What went wrong.
        reason: String,
        /// The provider's requested wait.
        after: Option<Duration>,
    },
}

/// Sends rendered messages through one provider.
#[async_trait::async_trait]
pub trait Channel: Send + Sync + 'static {
    /// The channel it serves.
    fn kind(&self) -> ChannelKind;

    /// Hands one message to the provider. Called at most once per attempt;
    /// must not retry by itself (the delivery worker owns retries).
    async fn send(&self, outgoing: Outgoing<'_>) -> Result<Sent, SendError>;
}
