//! `assistant_messages`: a conversation's messages as the provider reads
//! them, in order.

use sea_orm::entity::prelude::*;

use crate::ids::{ConversationId, MessageId};

/// One message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistant_messages")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Its place, from 0.
    pub position: i32,
    /// `user`, `assistant` or `tool`.
    pub role: String,
    /// The text shown to people (the user's words, the assistant's answer);
    /// `None` for tool results and tool-call-only turns.
    pub content: Option<String>,
    /// The message exactly as sent to the provider (JSON).
    pub payload: String,
    /// Written.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
