//! A professional's stored conversations: list, read, delete.

use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use trellis_kernel::{Page, PageRequest, id::UserId};

use super::AssistantDeps;

use crate::{
    entities::{conversation, message},
    error::{Error, Result},
    ids::ConversationId,
    model::{AssistantMessageView, ConversationDetail, ConversationView, Speaker},
    tools::PendingCall,
};

/// Conversations. Like every assistant route, 503 while no language model
/// is configured.
#[derive(Debug, Clone)]
pub struct ConversationService {
    deps: Arc<AssistantDeps>,
}

impl ConversationService {
    pub(crate) fn new(deps: Arc<AssistantDeps>) -> Self {
        Self { deps }
    }

    /// The caller's conversations, newest first.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        page: &PageRequest,
    ) -> Result<Page<ConversationView>> {
        self.deps.ready()?;
        let before: Option<ConversationId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut select =
            conversation::Entity::find().filter(conversation::Column::UserId.eq(caller));
        if let Some(before) = before {
            select = select.filter(conversation::Column::Id.lt(before));
        }
        let rows = select
            .order_by_desc(conversation::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |c| c.id, view))
    }

    /// One of the caller's conversations with the messages people read.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        id: ConversationId,
    ) -> Result<ConversationDetail> {
        self.deps.ready()?;
        let row = owned(db, caller, id).await?;
        let messages = message::Entity::find()
            .filter(message::Column::ConversationId.eq(id))
            .filter(message::Column::Role.is_in(["user", "assistant"]))
            .filter(message::Column::Content.is_not_null())
            .order_by_asc(message::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|m| {
                let role = match m.role.as_str() {
                    "user" => Speaker::User,
                    _ => Speaker::Assistant,
                };
                m.content.map(|content| AssistantMessageView {
                    role,
                    content,
                    created_at: m.created_at.into(),
                })
            })
            .collect();
        let pending_action = pending_of(&row).map(|p| p.action);
        Ok(ConversationDetail {
            conversation: view(row),
            messages,
            pending_action,
        })
    }

    /// Deletes one of the caller's conversations and its messages (usage
    /// stays counted).
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        id: ConversationId,
    ) -> Result<()> {
        self.deps.ready()?;
        let deleted = conversation::Entity::delete_many()
            .filter(conversation::Column::Id.eq(id))
            .filter(conversation::Column::UserId.eq(caller))
            .exec(db)
            .await?
            .rows_affected;
        if deleted == 0 {
            return Err(Error::ConversationNotFound);
        }
        Ok(())
    }
}

/// The caller's conversation `id` (404 for anyone else's).
pub(crate) async fn owned(
    db: &impl ConnectionTrait,
    caller: UserId,
    id: ConversationId,
) -> Result<conversation::Model> {
    conversation::Entity::find_by_id(id)
        .filter(conversation::Column::UserId.eq(caller))
        .one(db)
        .await?
        .ok_or(Error::ConversationNotFound)
}

/// The change awaiting confirmation, if the stored one reads.
pub(crate) fn pending_of(row: &conversation::Model) -> Option<PendingCall> {
    row.pending
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
}

fn view(row: conversation::Model) -> ConversationView {
    ConversationView {
        id: row.id,
        title: row.title,
        created_at: row.created_at.into(),
        updated_at: row.updated_at.into(),
    }
}
