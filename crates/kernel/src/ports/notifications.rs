//! Telling people about things that happened.

use serde::{Deserialize, Serialize};

use crate::{
    contact::{Email, Phone},
    ports::DeliveryError,
};

/// Something a person should hear about. Serializable, because it travels
/// in an outbox event from the domain that words it to the one that sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// What happened (`appointment.booked`, `appointment.reminder`...).
    pub kind: String,
    /// Who to tell.
    pub recipient: Recipient,
    /// A one-line summary (an email subject).
    pub subject: String,
    /// The message.
    pub body: String,
}

/// How to reach someone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Recipient {
    /// Display name.
    pub name: String,
    /// Email, if known.
    pub email: Option<Email>,
    /// Phone, if known.
    pub phone: Option<Phone>,
}

/// Delivers notifications on whatever channels the recipient has
/// (messaging implements templates and channels; the gateway's default emails).
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Delivers one notification.
    async fn notify(&self, notification: Notification) -> Result<(), DeliveryError>;
}
