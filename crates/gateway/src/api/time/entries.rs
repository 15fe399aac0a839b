//! `/api/v1/orgs/{org_id}/time-entries`: time worked (and running timers).
//!
//! Any member reads the organization's time; an entry is changed or
//! deleted by its owner or an admin (403 `time_entry.not_owner`), never
//! before the lock date unless by an admin (403 `time_entry.locked`), and
//! never while it is on an invoice (409 `time_entry.billed`).

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::{
    Page,
    id::{OrgId, UserId},
};
use trellis_time_tracking::{
    ids::{AgencyClientId, ProjectId, TaskId, TimeEntryId},
    model::{CreateTimeEntry, TimeEntryFilter, TimeEntryView, UpdateTimeEntry},
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

/// Time entries.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeEntriesApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl TimeEntriesApi {
    /// The organization's time entries, newest start first, running timers
    /// included (no `end_at`) (members).
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/:org_id/time-entries",
        method = "get",
        operation_id = "list_time_entries"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Only entries starting at or after this instant.
        from: Query<Option<DateTime<Utc>>>,
        /// Only entries starting before this instant.
        to: Query<Option<DateTime<Utc>>>,
        /// Only this member's entries.
        user_id: Query<Option<UserId>>,
        /// Only this project's entries.
        project_id: Query<Option<ProjectId>>,
        /// Only entries on this client's projects.
        client_id: Query<Option<AgencyClientId>>,
        /// Only this task's entries.
        task_id: Query<Option<TaskId>>,
        /// `true`: only billable entries; `false`: only non-billable ones.
        billable: Query<Option<bool>>,
        /// `true`: only running timers (no `end_at`); `false`: only stopped entries.
        running: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<TimeEntryView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        let filter = TimeEntryFilter {
            user_id: user_id.0,
            project_id: project_id.0,
            client_id: client_id.0,
            task_id: task_id.0,
            billable: billable.0,
            from: from.0,
            to: to.0,
            running: running.0,
        };
        Ok(JsonResponse(
            state
                .time
                .entries
                .list(&state.db, &member, filter, &page)
                .await?,
        ))
    }

    /// Log time worked: the caller's, or with `user_id` another member's
    /// (admins; a member naming someone else gets 403
    /// `time_entry.not_owner`). `start_at` and `end_at` are rounded as the
    /// organization rounds; the rate is the project's, else its client's,
    /// at this moment. 409 `time_entry.overlap` when it meets another entry
    /// of the same person (unless the organization allows overlaps), 409
    /// `project.archived` for an archived project, 403 `time_entry.locked`
    /// before the lock date (members), 422 `time_entry.too_short` when
    /// nothing is left once rounded.
    #[oai(
        path = "/:org_id/time-entries",
        method = "post",
        operation_id = "create_time_entry"
    )]
    async fn create(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<CreateTimeEntry>,
    ) -> Result<
        Created<TimeEntryView>,
        Problems<
            {
                RATE_LIMITED
                    | ORG_MEMBER
                    | FORBIDDEN
                    | NOT_FOUND
                    | JSON_BODY
                    | UNPROCESSABLE
                    | CONFLICT
            },
        >,
    > {
        let created = state
            .time
            .entries
            .create(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One time entry (members).
    #[oai(
        path = "/:org_id/time-entries/:id",
        method = "get",
        operation_id = "get_time_entry"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The entry.
        id: Path<TimeEntryId>,
    ) -> Result<
        JsonResponse<TimeEntryView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state.time.entries.get(&state.db, &member, id.0).await?,
        ))
    }

    /// Change an entry (its owner or an admin): absent fields stay, `null`
    /// clears an optional one. Giving a running entry an `end_at` stops it;
    /// moving it to another project takes that project's rate. The same
    /// rules as logging apply (rounding, overlaps, lock date), and an entry
    /// on an invoice is 409 `time_entry.billed`.
    #[oai(
        path = "/:org_id/time-entries/:id",
        method = "patch",
        operation_id = "update_time_entry"
    )]
    async fn update(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The entry.
        id: Path<TimeEntryId>,
        body: Json<UpdateTimeEntry>,
    ) -> Result<
        JsonResponse<TimeEntryView>,
        Problems<
            {
                RATE_LIMITED
                    | ORG_MEMBER
                    | PARAMS
                    | FORBIDDEN
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
                .entries
                .update(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Delete an entry, running or not (its owner or an admin; not before
    /// the lock date unless an admin; not while on an invoice, 409
    /// `time_entry.billed`).
    #[oai(
        path = "/:org_id/time-entries/:id",
        method = "delete",
        operation_id = "delete_time_entry"
    )]
    async fn delete(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The entry.
        id: Path<TimeEntryId>,
    ) -> Result<
        NoContent,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | FORBIDDEN | NOT_FOUND | CONFLICT }>,
    > {
        state.time.entries.delete(&state.db, &member, id.0).await?;
        Ok(NoContent::NoContent)
    }
}
