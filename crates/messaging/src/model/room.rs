//! Rooms and their members.

use poem_openapi::{Enum, Object};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::{
    Timestamp,
    id::{OrgId, UserId},
};
use validator::Validate;

use crate::{ids::RoomId, model::MessageView};

/// Direct (two people, fixed) or group (named, managed by its admins).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RoomKind {
    /// Exactly two people; one room per pair.
    #[sea_orm(string_value = "direct")]
    Direct,
    /// A named room with admins and members.
    #[sea_orm(string_value = "group")]
    Group,
}

/// A member's role in a room.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum MemberRole {
    /// Reads and writes.
    #[sea_orm(string_value = "member")]
    Member,
    /// Also adds and removes members and changes roles.
    #[sea_orm(string_value = "admin")]
    Admin,
}

/// A new room: either `direct_with` (a direct room with that user, the
/// existing one if there is one) or `name` (a group; its creator is admin).
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateRoom {
    /// The other person of a direct room.
    pub direct_with: Option<UserId>,
    /// A group's name, 1 to 100 characters.
    #[validate(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// The organization owning a group: its members alone may join, and
    /// the creator must be one.
    pub org_id: Option<OrgId>,
    /// A group's first members besides the creator (up to 100).
    #[validate(length(max = 100))]
    pub members: Option<Vec<UserId>>,
}

/// A member to add to a group.
#[derive(Debug, Clone, Object)]
pub struct AddMember {
    /// Who.
    pub user_id: UserId,
    /// Their role (default `member`).
    pub role: Option<MemberRole>,
}

/// A member's new role.
#[derive(Debug, Clone, Object)]
pub struct ChangeRole {
    /// The role.
    pub role: MemberRole,
}

/// A member of a room (`RoomMemberView` in the spec: identity has a
/// `MemberView` of organizations).
#[derive(Debug, Clone, Object)]
#[oai(rename = "RoomMemberView")]
pub struct MemberView {
    /// The user.
    pub user_id: UserId,
    /// Their role.
    pub role: MemberRole,
    /// Joined.
    pub joined_at: Timestamp,
}

/// A room, as one of its members sees it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoomView {
    /// The id.
    pub id: RoomId,
    /// Direct or group.
    pub kind: RoomKind,
    /// A group's name.
    pub name: Option<String>,
    /// The owning organization.
    pub org_id: Option<OrgId>,
    /// The caller's role.
    pub my_role: MemberRole,
    /// Messages by others after the caller's read marker (deleted ones excluded).
    pub unread_count: u64,
    /// The newest message (a tombstone if it was deleted).
    pub last_message: Option<MessageView>,
    /// The members (in the single-room view only).
    pub members: Option<Vec<MemberView>>,
    /// The last message, or the creation.
    pub last_activity_at: Timestamp,
    /// Created.
    pub created_at: Timestamp,
}
