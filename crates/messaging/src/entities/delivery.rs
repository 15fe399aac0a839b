//! `notification_deliveries`: one notification to one address on one
//! channel, with its attempts.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{EventId, UserId};

use crate::ids::{DeliveryId, DeviceId};

/// A delivery.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_deliveries")]
pub struct Model {
    /// The id (also the provider's idempotency key where it has one).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DeliveryId,
    /// The `notification.requested` event it came from.
    pub event_id: EventId,
    /// The notification kind's name.
    pub kind: String,
    /// The channel's name.
    pub channel: String,
    /// The recipient's account, if they have one.
    pub recipient_user_id: Option<UserId>,
    /// The recipient's display name.
    pub recipient_name: String,
    /// The email, phone or push token it goes to.
    pub address: String,
    /// The push device, for push deliveries.
    pub device_id: Option<DeviceId>,
    /// The rendered message (JSON); `{}` once erased.
    pub content: String,
    /// Carries a secret: erased when settled.
    pub secret: bool,
    /// pending, sending, sent, failed or dead.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Not to be tried before.
    pub next_attempt_at: DateTimeUtc,
    /// The worker working on it.
    pub claimed_by: Option<String>,
    /// Its claim lapses at.
    pub claimed_until: Option<DateTimeUtc>,
    /// The provider's id for the sent message.
    pub provider_id: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
    /// rejected, unregistered or transient (the last failure's).
    pub failure_class: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
    /// Accepted by the provider.
    pub sent_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
