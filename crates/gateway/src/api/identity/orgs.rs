//! `/api/v1/orgs`: organizations and their members.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_identity::model::{
    AddMemberCommand, ChangeRoleCommand, CreateOrgCommand, MemberView, OrgView, UpdateOrgCommand,
};
use trellis_kernel::{
    Page,
    id::{OrgId, UserId},
};

use crate::api::{
    ApiTags,
    common::{Created, NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::{Caller, OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Organizations.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Identity")]
impl OrgsApi {
    /// The organizations the caller belongs to, with the caller's role.
    #[oai(path = "/", method = "get", operation_id = "list_my_orgs")]
    async fn list(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<OrgView>>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PAGED | DATABASE }>,
    > {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .identity
                .orgs
                .list_mine(&state.db, &caller, &page)
                .await?,
        ))
    }

    /// Create an organization; the caller becomes its owner.
    #[oai(path = "/", method = "post", operation_id = "create_org")]
    async fn create(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<CreateOrgCommand>,
    ) -> Result<
        Created<OrgView>,
        Problems<{ RATE_LIMITED | SIGNED_IN | JSON_BODY | UNPROCESSABLE | FORBIDDEN | DATABASE }>,
    > {
        Ok(Created::Created(JsonResponse(
            state
                .identity
                .orgs
                .create(&state.db, &caller, body.0)
                .await?,
        )))
    }

    /// One organization (members).
    #[oai(path = "/:org_id", method = "get", operation_id = "get_org")]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        #[oai(name = "org_id")] _org_id: Path<OrgId>,
    ) -> Result<JsonResponse<OrgView>, Problems<{ RATE_LIMITED | ORG_MEMBER }>> {
        Ok(JsonResponse(
            state.identity.orgs.get(&state.db, &member).await?,
        ))
    }

    /// Rename (admins).
    #[oai(path = "/:org_id", method = "patch", operation_id = "update_org")]
    async fn update(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        #[oai(name = "org_id")] _org_id: Path<OrgId>,
        body: Json<UpdateOrgCommand>,
    ) -> Result<
        JsonResponse<OrgView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .identity
                .orgs
                .rename(&state.db, &member, body.0)
                .await?,
        ))
    }

    /// Delete the organization and its memberships (owners).
    #[oai(path = "/:org_id", method = "delete", operation_id = "delete_org")]
    async fn delete(
        &self,
        member: OrgMember<role::Owner>,
        state: Data<&AppState>,
        #[oai(name = "org_id")] _org_id: Path<OrgId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_ADMIN }>> {
        state.identity.orgs.delete(&state.db, &member).await?;
        Ok(NoContent::NoContent)
    }

    /// Members (members).
    #[oai(
        path = "/:org_id/members",
        method = "get",
        operation_id = "list_org_members"
    )]
    async fn members(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        #[oai(name = "org_id")] _org_id: Path<OrgId>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<MemberView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .identity
                .orgs
                .members(&state.db, &member, &page)
                .await?,
        ))
    }

    /// Add an existing account by email (admins; only owners grant `owner`).
    #[oai(
        path = "/:org_id/members",
        method = "post",
        operation_id = "add_org_member"
    )]
    async fn add_member(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        #[oai(name = "org_id")] _org_id: Path<OrgId>,
        body: Json<AddMemberCommand>,
    ) -> Result<
        Created<MemberView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        Ok(Created::Created(JsonResponse(
            state
                .identity
                .orgs
                .add_member(&state.db, &member, body.0)
                .await?,
        )))
    }

    /// Change a member's role (admins; only owners touch `owner`). The last
    /// owner cannot be demoted (409).
    #[oai(
        path = "/:org_id/members/:user_id",
        method = "patch",
        operation_id = "change_org_member_role"
    )]
    async fn change_role(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        org_id: Path<OrgId>,
        user_id: Path<UserId>,
        body: Json<ChangeRoleCommand>,
    ) -> Result<
        JsonResponse<MemberView>,
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
            .identity
            .orgs
            .change_role(&state.db, &caller, org_id.0, user_id.0, body.0)
            .await?;
        Ok(JsonResponse(member))
    }

    /// Remove a member (admins), or leave (any member). The last owner stays (409).
    #[oai(
        path = "/:org_id/members/:user_id",
        method = "delete",
        operation_id = "remove_org_member"
    )]
    async fn remove_member(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        org_id: Path<OrgId>,
        user_id: Path<UserId>,
    ) -> Result<
        NoContent,
        Problems<
            { RATE_LIMITED | SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND | CONFLICT | DATABASE },
        >,
    > {
        state
            .identity
            .orgs
            .remove_member(&state.db, &caller, org_id.0, user_id.0)
            .await?;
        Ok(NoContent::NoContent)
    }
}
