//! `/api/v1/rooms/{id}/messages` and read receipts.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::Page;
use trellis_messaging::{
    ids::{MessageId, RoomId},
    model::{EditMessage, MarkRead, MessageView, ReadView, SendMessage},
};

use crate::api::{
    ApiTags,
    common::{Created, NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::Caller,
    error::{Problems, status::*},
    state::AppState,
};

/// Messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessagesApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl MessagesApi {
    /// The room's history, newest first.
    #[oai(
        path = "/api/v1/rooms/:id/messages",
        method = "get",
        operation_id = "list_messages"
    )]
    async fn history(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor` (older messages).
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<MessageView>>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PAGED | NOT_FOUND | DATABASE }>,
    > {
        let page = page(limit.0, cursor.0)?;
        let messages = state
            .messaging
            .messages
            .history(&state.db, caller.user_id, id.0, &page)
            .await?;
        Ok(JsonResponse(messages))
    }

    /// Send a message (rate limited per user: `rate_limit.message`). It
    /// reaches the members' sockets, and an event tells the notifications
    /// half.
    #[oai(
        path = "/api/v1/rooms/:id/messages",
        method = "post",
        operation_id = "send_message"
    )]
    async fn send(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        body: Json<SendMessage>,
    ) -> Result<
        Created<MessageView>,
        Problems<
            {
                RATE_LIMITED | SIGNED_IN | PARAMS | JSON_BODY | UNPROCESSABLE | NOT_FOUND | DATABASE
            },
        >,
    > {
        let sent = state
            .messaging
            .messages
            .send(&state.db, caller.user_id, id.0, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(sent)))
    }

    /// Change a message's text (its author; not once deleted).
    #[oai(
        path = "/api/v1/rooms/:id/messages/:message_id",
        method = "patch",
        operation_id = "edit_message"
    )]
    async fn edit(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        message_id: Path<MessageId>,
        body: Json<EditMessage>,
    ) -> Result<
        JsonResponse<MessageView>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | PARAMS
                    | JSON_BODY
                    | UNPROCESSABLE
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let edited = state
            .messaging
            .messages
            .edit(&state.db, caller.user_id, id.0, message_id.0, body.0)
            .await?;
        Ok(JsonResponse(edited))
    }

    /// Delete a message (its author): a tombstone stays in the history, the
    /// text is gone from the database.
    #[oai(
        path = "/api/v1/rooms/:id/messages/:message_id",
        method = "delete",
        operation_id = "delete_message"
    )]
    async fn delete(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        message_id: Path<MessageId>,
    ) -> Result<
        NoContent,
        Problems<
            { RATE_LIMITED | SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND | CONFLICT | DATABASE },
        >,
    > {
        state
            .messaging
            .messages
            .delete(&state.db, caller.user_id, id.0, message_id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Read receipt: moves the caller's marker forward to `up_to` (an older
    /// message leaves it where it is).
    #[oai(
        path = "/api/v1/rooms/:id/read",
        method = "post",
        operation_id = "mark_room_read"
    )]
    async fn read(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        body: Json<MarkRead>,
    ) -> Result<
        JsonResponse<ReadView>,
        Problems<
            {
                RATE_LIMITED | SIGNED_IN | PARAMS | JSON_BODY | UNPROCESSABLE | NOT_FOUND | DATABASE
            },
        >,
    > {
        let read = state
            .messaging
            .messages
            .mark_read(&state.db, caller.user_id, id.0, body.0)
            .await?;
        Ok(JsonResponse(read))
    }
}
