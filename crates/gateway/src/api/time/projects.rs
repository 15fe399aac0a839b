//! `/api/v1/orgs/{org_id}/projects`: projects done for the agency's clients.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::{Page, id::OrgId};
use trellis_time_tracking::{
    ids::{AgencyClientId, ProjectId},
    model::{CreateProject, ProjectFilter, ProjectStatus, ProjectView, UpdateProject},
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

/// Projects.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProjectsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl ProjectsApi {
    /// The organization's projects, oldest first (members).
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/:org_id/projects",
        method = "get",
        operation_id = "list_projects"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Only this client's projects.
        client_id: Query<Option<AgencyClientId>>,
        /// Only projects in this status.
        status: Query<Option<ProjectStatus>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<ProjectView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        let filter = ProjectFilter {
            client_id: client_id.0,
            status: status.0,
        };
        Ok(JsonResponse(
            state
                .time
                .projects
                .list(&state.db, &member, filter, &page)
                .await?,
        ))
    }

    /// Start a project for one of the organization's clients (members);
    /// 404 `agency_client.not_found` for a client that is not the
    /// organization's, 409 `project.code_taken` for a `code` another
    /// project has.
    #[oai(
        path = "/:org_id/projects",
        method = "post",
        operation_id = "create_project"
    )]
    async fn create(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<CreateProject>,
    ) -> Result<
        Created<ProjectView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | NOT_FOUND | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        let created = state
            .time
            .projects
            .create(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One project (members).
    #[oai(
        path = "/:org_id/projects/:id",
        method = "get",
        operation_id = "get_project"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The project.
        id: Path<ProjectId>,
    ) -> Result<
        JsonResponse<ProjectView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state.time.projects.get(&state.db, &member, id.0).await?,
        ))
    }

    /// Change a project (members): absent fields stay, `null` clears an
    /// optional one. `status: archived` closes it to new time; entries
    /// already logged keep their rate.
    #[oai(
        path = "/:org_id/projects/:id",
        method = "patch",
        operation_id = "update_project"
    )]
    async fn update(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The project.
        id: Path<ProjectId>,
        body: Json<UpdateProject>,
    ) -> Result<
        JsonResponse<ProjectView>,
        Problems<
            {
                RATE_LIMITED
                    | ORG_MEMBER
                    | PARAMS
                    | NOT_FOUND
                    | JSON_BODY
                    | UNPROCESSABLE
                    | CONFLICT
            },
        >,
    > {
        Ok(JsonResponse(
            state
                .time
                .projects
                .update(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Delete a project without tasks or time (members); one that has
    /// either is refused, 409 `project.in_use`: archive it instead.
    #[oai(
        path = "/:org_id/projects/:id",
        method = "delete",
        operation_id = "delete_project"
    )]
    async fn delete(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The project.
        id: Path<ProjectId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | CONFLICT }>>
    {
        state.time.projects.delete(&state.db, &member, id.0).await?;
        Ok(NoContent::NoContent)
    }
}
