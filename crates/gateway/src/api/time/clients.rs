//! `/api/v1/orgs/{org_id}/clients`: the companies an agency works for
//! (agency clients, never scheduling's clients).

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::{Page, id::OrgId};
use trellis_time_tracking::{
    ids::AgencyClientId,
    model::{AgencyClientFilter, AgencyClientView, CreateAgencyClient, UpdateAgencyClient},
};

use crate::api::{
    ApiTags,
    common::{Created, NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Agency clients.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl ClientsApi {
    /// The organization's clients, oldest first (members).
    #[oai(
        path = "/:org_id/clients",
        method = "get",
        operation_id = "list_agency_clients"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// `true`: only archived clients; `false`: only current ones; absent: all.
        archived: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<AgencyClientView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        let filter = AgencyClientFilter {
            archived: archived.0,
        };
        Ok(JsonResponse(
            state
                .time
                .clients
                .list(&state.db, &member, filter, &page)
                .await?,
        ))
    }

    /// Add a client (members). Its `currency` is the one its time is billed
    /// in; its `hourly_rate_minor` applies to projects without their own.
    #[oai(
        path = "/:org_id/clients",
        method = "post",
        operation_id = "create_agency_client"
    )]
    async fn create(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<CreateAgencyClient>,
    ) -> Result<
        Created<AgencyClientView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | JSON_BODY | UNPROCESSABLE }>,
    > {
        let created = state
            .time
            .clients
            .create(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One client (members); 404 `agency_client.not_found` when it is not
    /// the organization's.
    #[oai(
        path = "/:org_id/clients/:id",
        method = "get",
        operation_id = "get_agency_client"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The client.
        id: Path<AgencyClientId>,
    ) -> Result<
        JsonResponse<AgencyClientView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state.time.clients.get(&state.db, &member, id.0).await?,
        ))
    }

    /// Change a client (members): absent fields stay, `null` clears an
    /// optional one. `archived: true` keeps it in reports but out of pickers.
    #[oai(
        path = "/:org_id/clients/:id",
        method = "patch",
        operation_id = "update_agency_client"
    )]
    async fn update(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The client.
        id: Path<AgencyClientId>,
        body: Json<UpdateAgencyClient>,
    ) -> Result<
        JsonResponse<AgencyClientView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .time
                .clients
                .update(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Delete a client without projects (members); one with projects is
    /// refused, 409 `agency_client.in_use`: archive it instead.
    #[oai(
        path = "/:org_id/clients/:id",
        method = "delete",
        operation_id = "delete_agency_client"
    )]
    async fn delete(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The client.
        id: Path<AgencyClientId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | CONFLICT }>>
    {
        state.time.clients.delete(&state.db, &member, id.0).await?;
        Ok(NoContent::NoContent)
    }
}
