//! `chat_rooms`: direct rooms between two people and named group rooms.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::{ids::RoomId, model::RoomKind};

/// A room.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_rooms")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RoomId,
    /// Direct or group.
    pub kind: RoomKind,
    /// A group's name.
    pub name: Option<String>,
    /// The organization owning a group, whose members alone may join it.
    pub org_id: Option<OrgId>,
    /// A direct room's pair, `smaller-uuid:larger-uuid`; unique, so two
    /// people have one direct room however often and concurrently it is asked for.
    pub direct_key: Option<String>,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// The last message, or the creation: what "my rooms" sort by.
    pub last_activity_at: DateTimeUtc,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// Its members (the room list joins them).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The memberships of the room.
    #[sea_orm(has_many = "super::member::Entity")]
    Members,
}

impl Related<super::member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Members.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
