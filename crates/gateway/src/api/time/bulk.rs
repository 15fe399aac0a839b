//! `/api/v1/orgs/{org_id}/bulk/...`: many tasks or clients changed at once.
//!
//! One transaction per request and a result per distinct id, in the order
//! given: `ok`, `not_found` (no such row in the organization: another
//! organization's ids are not found) or `conflict` (its state forbids it,
//! with the code the single operation would answer). A row that comes into
//! use while the request runs (time logged on a task being deleted) makes
//! the whole request 409, with nothing done.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use trellis_kernel::id::OrgId;
use trellis_time_tracking::model::{BulkClients, BulkReport, BulkTasks};

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Bulk operations.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl BulkApi {
    /// Set the status or the assignee of many tasks, or delete them
    /// (admins): 1 to 500 ids. `set_status` needs `status`;
    /// `set_assignee` needs `assignee_id` (a member, or `null` to
    /// unassign); `delete` removes their comments too, and a task with time
    /// logged is a `conflict` (`task.in_use`).
    #[oai(
        path = "/:org_id/bulk/tasks",
        method = "post",
        operation_id = "bulk_tasks"
    )]
    async fn tasks(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<BulkTasks>,
    ) -> Result<
        JsonResponse<BulkReport>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        Ok(JsonResponse(
            state.time.tasks.bulk(&state.db, &member, body.0).await?,
        ))
    }

    /// Archive, unarchive or delete many clients (admins): 1 to 500 ids. A
    /// client with projects is not deleted: a `conflict`
    /// (`agency_client.in_use`); archive it instead.
    #[oai(
        path = "/:org_id/bulk/clients",
        method = "post",
        operation_id = "bulk_clients"
    )]
    async fn clients(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<BulkClients>,
    ) -> Result<
        JsonResponse<BulkReport>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        Ok(JsonResponse(
            state.time.clients.bulk(&state.db, &member, body.0).await?,
        ))
    }
}
