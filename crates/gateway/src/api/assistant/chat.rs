//! `POST /api/v1/assistant/chat`: one turn of a conversation.

use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};
use trellis_assistant::{
    model::{ChatReply, ChatRequest},
    settings::MAX_TOOL_ROUNDS,
};

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    auth::ProfessionalCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// Chatting with the assistant.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatApi;

#[OpenApi(prefix_path = "/api/v1/assistant", tag = "ApiTags::Assistant")]
impl ChatApi {
    /// One turn: send a `message` (a new conversation without
    /// `conversation_id`), or decide on the change the assistant proposed
    /// (`confirm`). The assistant may look up today's appointments, a
    /// client by phone and revenue at once; changing an appointment's
    /// status comes back as `pending_action` and happens only when the next
    /// turn confirms it. 409 `assistant.nothing_to_confirm` for a decision
    /// with nothing pending, `assistant.conversation_changed` when another
    /// turn of the same conversation finished first; 503
    /// `assistant.not_configured` without a language model,
    /// `assistant.unavailable` (with `Retry-After`) when it fails or times
    /// out.
    #[oai(path = "/chat", method = "post", operation_id = "assistant_chat")]
    async fn chat(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<ChatRequest>,
    ) -> Result<
        JsonResponse<ChatReply>,
        Problems<
            {
                RATE_LIMITED
                    | PROFESSIONAL
                    | JSON_BODY
                    | UNPROCESSABLE
                    | NOT_FOUND
                    | CONFLICT
                    | UNAVAILABLE
            },
        >,
    > {
        let rounds = state.settings.get(&MAX_TOOL_ROUNDS).await;
        Ok(JsonResponse(
            state
                .assistant
                .chat
                .turn(&state.db, pro.caller.user_id, body.0, rounds)
                .await?,
        ))
    }
}
