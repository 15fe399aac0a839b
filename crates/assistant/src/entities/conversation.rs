//! `assistant_conversations`: a professional's conversations.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::ConversationId;

/// One conversation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistant_conversations")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ConversationId,
    /// Whose it is (the signed-in professional's account).
    pub user_id: UserId,
    /// The start of its first message.
    pub title: String,
    /// The change waiting for confirmation (a `tools::PendingCall` as
    /// JSON), if any.
    pub pending: Option<String>,
    /// Turns taken: a turn commits only over the count it started from,
    /// so two turns at once cannot interleave their messages.
    pub turns: i32,
    /// Started.
    pub created_at: DateTimeUtc,
    /// Last turn.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
