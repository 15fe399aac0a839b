//! The ways a notification reaches someone, each behind [`Channel`]: one
//! implementation per provider, built from configuration by the gateway.
//!
//! - [`email`]: lettre, SMTP or `.eml` files (development).
//! - [`whatsapp`]: the WhatsApp Cloud API's template messages.
//! - [`sms`]: Twilio's Messages API, or text files (development).
//! - [`push`]: FCM HTTP v1, authorised by a service account.
//! - [`http`]: what the HTTP channels share (client, status reading).
//!
//! A channel that is not configured is simply absent from [`Channels`]:
//! the deliveries it would have carried are not attempted.

use std::{collections::HashMap, sync::Arc, time::Duration};

use trellis_kernel::notify::ChannelKind;

use super::message::Rendered;

pub mod email;
pub mod http;
pub mod push;
pub mod sms;
pub mod whatsapp;

pub use email::{EmailChannel, EmailConfig, EmailTransport};
pub use http::HttpConfig;
pub use push::{FcmChannel, FcmConfig};
pub use sms::{FileSmsChannel, TwilioConfig, TwilioSender, TwilioSmsChannel};
pub use whatsapp::{WhatsappChannel, WhatsappConfig};

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

impl SendError {
    /// The refusal for a message rendered for another channel (a bug in the
    /// caller, so retrying cannot help).
    pub fn wrong_message(channel: ChannelKind, message: &Rendered) -> Self {
        Self::Rejected(format!(
            "the {} channel cannot send a {} message",
            channel.as_str(),
            message.channel().as_str()
        ))
    }
}

/// A channel's configuration is unusable. The reason never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{channel} channel, {field}: {reason}")]
pub struct ConfigError {
    /// The channel (`email`, `fcm`...).
    pub channel: &'static str,
    /// The setting at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    /// An error about `channel`'s `field`.
    pub fn new(channel: &'static str, field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            channel,
            field,
            reason: reason.into(),
        }
    }
}

/// The configured channels, one per [`ChannelKind`] at most.
#[derive(Clone, Default)]
pub struct Channels {
    map: HashMap<ChannelKind, Arc<dyn Channel>>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl Channels {
    /// No channels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `channel` under its own kind, returning the one it replaces.
    pub fn insert(&mut self, channel: Arc<dyn Channel>) -> Option<Arc<dyn Channel>> {
        self.map.insert(channel.kind(), channel)
    }

    /// [`insert`](Self::insert), for building in one expression.
    #[must_use]
    pub fn with(mut self, channel: Arc<dyn Channel>) -> Self {
        self.insert(channel);
        self
    }

    /// The channel of `kind`, if configured.
    pub fn get(&self, kind: ChannelKind) -> Option<&Arc<dyn Channel>> {
        self.map.get(&kind)
    }

    /// True if `kind` is configured.
    pub fn contains(&self, kind: ChannelKind) -> bool {
        self.map.contains_key(&kind)
    }

    /// The configured kinds, in [`ChannelKind`] order.
    pub fn kinds(&self) -> Vec<ChannelKind> {
        let mut kinds: Vec<ChannelKind> = self.map.keys().copied().collect();
        kinds.sort();
        kinds
    }

    /// True if none is configured.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(ChannelKind);

    #[async_trait::async_trait]
    impl Channel for Fake {
        fn kind(&self) -> ChannelKind {
            self.0
        }

        async fn send(&self, _: Outgoing<'_>) -> Result<Sent, SendError> {
            Ok(Sent {
                provider_id: self.0.as_str().into(),
            })
        }
    }

    #[test]
    fn a_channel_not_configured_is_absent() {
        let mut channels = Channels::new().with(Arc::new(Fake(ChannelKind::Sms)));
        assert!(
            channels
                .insert(Arc::new(Fake(ChannelKind::Email)))
                .is_none()
        );
        assert!(channels.insert(Arc::new(Fake(ChannelKind::Sms))).is_some());
        assert_eq!(channels.kinds(), [ChannelKind::Email, ChannelKind::Sms]);
        assert!(channels.get(ChannelKind::Push).is_none());
        assert!(!channels.contains(ChannelKind::Whatsapp));
        assert_eq!(
            channels.get(ChannelKind::Sms).map(|c| c.kind()),
            Some(ChannelKind::Sms)
        );
        assert_eq!(format!("{channels:?}"), "Channels { kinds: [Email, Sms] }");
    }
}
