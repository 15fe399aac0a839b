//! `/api/v1/assistant/conversations` and `/usage`: what the professional
//! asked before, and what it cost in tokens.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
};
use trellis_assistant::{
    ids::ConversationId,
    model::{ConversationDetail, ConversationView, UsageView},
};
use trellis_kernel::Page;

use crate::api::{
    ApiTags,
    common::{NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::ProfessionalCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// Stored conversations and usage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsApi;

#[OpenApi(prefix_path = "/api/v1/assistant", tag = "ApiTags::Assistant")]
impl ConversationsApi {
    /// The caller's conversations, newest first.
    #[oai(
        path = "/conversations",
        method = "get",
        operation_id = "list_assistant_conversations"
    )]
    async fn list(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<ConversationView>>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PAGED | UNAVAILABLE }>,
    > {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .assistant
                .conversations
                .list(&state.db, pro.caller.user_id, &page)
                .await?,
        ))
    }

    /// One conversation: the professional's messages and the assistant's
    /// answers (tool traffic is not shown), and a change still awaiting
    /// confirmation. Another person's conversation is 404.
    #[oai(
        path = "/conversations/:id",
        method = "get",
        operation_id = "get_assistant_conversation"
    )]
    async fn get(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        /// The conversation.
        id: Path<ConversationId>,
    ) -> Result<
        JsonResponse<ConversationDetail>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | NOT_FOUND | UNAVAILABLE }>,
    > {
        Ok(JsonResponse(
            state
                .assistant
                .conversations
                .get(&state.db, pro.caller.user_id, id.0)
                .await?,
        ))
    }

    /// Delete a conversation and its messages; its usage stays counted.
    #[oai(
        path = "/conversations/:id",
        method = "delete",
        operation_id = "delete_assistant_conversation"
    )]
    async fn delete(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        /// The conversation.
        id: Path<ConversationId>,
    ) -> Result<
        NoContent,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | NOT_FOUND | UNAVAILABLE }>,
    > {
        state
            .assistant
            .conversations
            .delete(&state.db, pro.caller.user_id, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Tokens the caller's answers used, by UTC month, newest first.
    #[oai(path = "/usage", method = "get", operation_id = "assistant_usage")]
    async fn usage(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<UsageView>, Problems<{ RATE_LIMITED | PROFESSIONAL | UNAVAILABLE }>>
    {
        Ok(JsonResponse(
            state
                .assistant
                .usage
                .by_month(&state.db, pro.caller.user_id)
                .await?,
        ))
    }
}
