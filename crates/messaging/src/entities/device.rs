//! `push_devices`: FCM registration tokens of a user's devices.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::DeviceId;

/// A device.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "push_devices")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DeviceId,
    /// Whose device it is.
    pub user_id: UserId,
    /// The FCM registration token (unique).
    pub token: String,
    /// android, ios or web.
    pub platform: String,
    /// Registered.
    pub created_at: DateTimeUtc,
    /// Last registered again.
    pub last_seen_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
