//! `chat_members`: who is in a room, their role and read marker.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::{
    ids::{MessageId, RoomId},
    model::MemberRole,
};

/// A membership.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_members")]
pub struct Model {
    /// The room.
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: RoomId,
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// Admin or member.
    pub role: MemberRole,
    /// The newest message read: its time and id, the history's sort key,
    /// so "unread" is every later message by someone else.
    pub read_at: Option<DateTimeUtc>,
    /// See `read_at`.
    pub read_message_id: Option<MessageId>,
    /// Joined.
    pub joined_at: DateTimeUtc,
}

/// The room it belongs to.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The room.
    #[sea_orm(
        belongs_to = "super::room::Entity",
        from = "Column::RoomId",
        to = "super::room::Column::Id"
    )]
    Room,
}

impl Related<super::room::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Room.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
