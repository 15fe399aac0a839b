//! What the notification half takes and returns: deliveries for operators,
//! preferences and devices for users, unsubscribe for anyone with a link.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use trellis_kernel::{
    Timestamp,
    id::UserId,
    notify::{ChannelKind, NotificationKind},
};
use validator::Validate;

use crate::ids::{DeliveryId, DeviceId};

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt.
    Pending,
    /// Handed to a worker right now.
    Sending,
    /// The provider accepted it.
    Sent,
    /// The last attempt failed; another is scheduled.
    Failed,
    /// Given up: refused for good, or out of attempts.
    Dead,
}

impl DeliveryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "dead" => Self::Dead,
            _ => Self::Pending,
        }
    }
}

/// A delivery as operators see it (`GET /internal/notifications`).
#[derive(Debug, Clone, Object, Serialize)]
pub struct DeliveryView {
    /// The id.
    pub id: DeliveryId,
    /// What it tells.
    pub kind: NotificationKind,
    /// How.
    pub channel: ChannelKind,
    /// Where it is in its life.
    pub status: DeliveryStatus,
    /// The recipient's account, if any.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_user_id: Option<UserId>,
    /// The recipient's name.
    pub recipient_name: String,
    /// Where it goes: the email, the phone with its middle masked, or the
    /// end of a push token.
    pub address: String,
    /// A one-line summary of the message (its subject); absent once a
    /// secret message is erased.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
    /// The next attempt, for pending and failed deliveries.
    pub next_attempt_at: Timestamp,
    /// The provider's id for the sent message.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The last failure.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: Timestamp,
    /// Accepted by the provider.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryFilter {
    /// Only this status.
    pub status: Option<DeliveryStatus>,
    /// Only this kind.
    pub kind: Option<NotificationKind>,
    /// Only this channel.
    pub channel: Option<ChannelKind>,
}

/// One kind on one channel, on or off.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct PreferenceView {
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: ChannelKind,
    /// Whether it is sent.
    pub enabled: bool,
    /// A security notification: always on, cannot be turned off.
    pub security: bool,
}

/// Every kind the product sends, on every channel it uses for it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PreferencesView {
    /// One entry per kind and channel.
    pub preferences: Vec<PreferenceView>,
}

/// A change to one kind on one channel.
#[derive(Debug, Clone, Object, Deserialize)]
pub struct PreferenceChange {
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: ChannelKind,
    /// On or off.
    pub enabled: bool,
}

/// Changes to preferences; kinds and channels not named keep their setting.
#[derive(Debug, Clone, Object, Deserialize)]
pub struct UpdatePreferences {
    /// The changes (at most one per kind and channel; the last one wins).
    #[oai(validator(max_items = 200))]
    pub preferences: Vec<PreferenceChange>,
}

/// What kind of device a push token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DevicePlatform {
    /// Android.
    Android,
    /// iOS (through FCM).
    Ios,
    /// A browser (web push through FCM).
    Web,
}

impl DevicePlatform {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Ios => "ios",
            Self::Web => "web",
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "ios" => Self::Ios,
            "web" => Self::Web,
            _ => Self::Android,
        }
    }
}

/// A device to push to.
#[derive(Debug, Clone, Object, Deserialize, Validate)]
pub struct RegisterDevice {
    /// The FCM registration token the app got from Firebase.
    #[oai(validator(min_length = 1, max_length = 4096))]
    #[validate(length(min = 1, max = 4096))]
    pub token: String,
    /// The platform.
    pub platform: DevicePlatform,
}

/// A registered device.
#[derive(Debug, Clone, Object, Serialize)]
pub struct DeviceView {
    /// The id (`DELETE /api/v1/users/me/devices/{id}` forgets it).
    pub id: DeviceId,
    /// The platform.
    pub platform: DevicePlatform,
    /// The last characters of the token, to tell devices apart.
    pub token_suffix: String,
    /// First registered.
    pub created_at: Timestamp,
    /// Last registered again.
    pub last_seen_at: Timestamp,
}

/// An unsubscribe link's token.
#[derive(Debug, Clone, Object, Deserialize)]
pub struct UnsubscribeRequest {
    /// The `token` parameter of the link.
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub token: String,
}

/// What was turned off.
#[derive(Debug, Clone, Object, Serialize)]
pub struct UnsubscribedView {
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: ChannelKind,
}
