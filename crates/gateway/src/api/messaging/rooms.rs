//! `/api/v1/rooms` and their members.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::{Page, id::UserId};
use trellis_messaging::{
    ids::RoomId,
    model::{AddMember, ChangeRole, CreateRoom, RoomMemberView, RoomView},
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

/// Rooms and members.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoomsApi;

/// A room created, or the existing direct room of the pair.
#[derive(ApiResponse)]
pub enum RoomCreated {
    /// Created.
    #[oai(status = 201)]
    Created(JsonResponse<RoomView>),
    /// The pair's direct room existed already.
    #[oai(status = 200)]
    Existing(JsonResponse<RoomView>),
}

#[OpenApi(tag = "ApiTags::Messaging")]
impl RoomsApi {
    /// The caller's rooms, most recently active first, each with its newest
    /// message and the caller's unread count.
    #[oai(path = "/api/v1/rooms", method = "get", operation_id = "list_rooms")]
    async fn list(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<RoomView>>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PAGED | DATABASE }>,
    > {
        let page = page(limit.0, cursor.0)?;
        let rooms = state
            .messaging
            .rooms
            .list(&state.db, caller.user_id, &page)
            .await?;
        Ok(JsonResponse(rooms))
    }

    /// Create a group (`name`, optionally `org_id` and `members`; the
    /// creator is its admin), or a direct room with one person
    /// (`direct_with`): 200 with the existing one if the pair has it.
    #[oai(path = "/api/v1/rooms", method = "post", operation_id = "create_room")]
    async fn create(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<CreateRoom>,
    ) -> Result<
        RoomCreated,
        Problems<{ RATE_LIMITED | SIGNED_IN | JSON_BODY | UNPROCESSABLE | NOT_FOUND | DATABASE }>,
    > {
        let (room, created) = state
            .messaging
            .rooms
            .create(&state.db, caller.user_id, body.0)
            .await?;
        Ok(if created {
            RoomCreated::Created(JsonResponse(room))
        } else {
            RoomCreated::Existing(JsonResponse(room))
        })
    }

    /// One room with its members.
    #[oai(path = "/api/v1/rooms/:id", method = "get", operation_id = "get_room")]
    async fn get(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
    ) -> Result<
        JsonResponse<RoomView>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PARAMS | NOT_FOUND | DATABASE }>,
    > {
        let room = state
            .messaging
            .rooms
            .get(&state.db, caller.user_id, id.0)
            .await?;
        Ok(JsonResponse(room))
    }

    /// Add a member to a group (room admins; an organization's room takes
    /// only members of the organization).
    #[oai(
        path = "/api/v1/rooms/:id/members",
        method = "post",
        operation_id = "add_room_member"
    )]
    async fn add_member(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        body: Json<AddMember>,
    ) -> Result<
        Created<RoomMemberView>,
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
        let member = state
            .messaging
            .rooms
            .add_member(&state.db, caller.user_id, id.0, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(member)))
    }

    /// Change a member's role (room admins; the last admin cannot step down).
    #[oai(
        path = "/api/v1/rooms/:id/members/:user_id",
        method = "patch",
        operation_id = "change_room_member_role"
    )]
    async fn change_role(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        user_id: Path<UserId>,
        body: Json<ChangeRole>,
    ) -> Result<
        JsonResponse<RoomMemberView>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | PARAMS
                    | JSON_BODY
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let member = state
            .messaging
            .rooms
            .change_role(&state.db, caller.user_id, id.0, user_id.0, body.0)
            .await?;
        Ok(JsonResponse(member))
    }

    /// Remove a member (room admins), or leave (anyone, their own id). The
    /// last admin of a group with other members must hand over first.
    #[oai(
        path = "/api/v1/rooms/:id/members/:user_id",
        method = "delete",
        operation_id = "remove_room_member"
    )]
    async fn remove_member(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<RoomId>,
        user_id: Path<UserId>,
    ) -> Result<
        NoContent,
        Problems<
            { RATE_LIMITED | SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND | CONFLICT | DATABASE },
        >,
    > {
        state
            .messaging
            .rooms
            .remove_member(&state.db, caller.user_id, id.0, user_id.0)
            .await?;
        Ok(NoContent::NoContent)
    }
}
