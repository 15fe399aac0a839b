//! `assistant_usage`: the tokens each response used.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::{ConversationId, UsageId};

/// One response's usage.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistant_usage")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UsageId,
    /// Whose response.
    pub user_id: UserId,
    /// Its conversation (kept when the conversation is deleted).
    pub conversation_id: Option<ConversationId>,
    /// The UTC month, `YYYY-MM`: what usage is summed by.
    pub month: String,
    /// The model that answered.
    pub model: String,
    /// Tokens read.
    pub prompt_tokens: i64,
    /// Tokens written.
    pub completion_tokens: i64,
    /// Both.
    pub total_tokens: i64,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
