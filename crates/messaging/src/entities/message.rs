//! `chat_messages`: a room's history. A deleted message keeps its row as a
//! tombstone with its text gone.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::{MessageId, RoomId};

/// A message.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_messages")]
pub struct Model {
    /// The id (time-ordered; breaks ties of `created_at`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MessageId,
    /// The room.
    pub room_id: RoomId,
    /// The author; `None` once their account is deleted.
    pub sender_id: Option<UserId>,
    /// The text; `None` once deleted.
    pub text: Option<String>,
    /// The message this one answers, in the same room.
    pub reply_to: Option<MessageId>,
    /// Last edited.
    pub edited_at: Option<DateTimeUtc>,
    /// Deleted (a tombstone).
    pub deleted_at: Option<DateTimeUtc>,
    /// Sent.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
