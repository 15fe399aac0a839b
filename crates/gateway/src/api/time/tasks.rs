//! `/api/v1/orgs/{org_id}/tasks`: tasks of projects and the comments on them.

use chrono::NaiveDate;
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
    ids::{CommentId, ProjectId, TaskId},
    model::{CommentBody, CommentView, CreateTask, TaskFilter, TaskStatus, TaskView, UpdateTask},
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

/// Tasks and comments.
#[derive(Debug, Clone, Copy, Default)]
pub struct TasksApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl TasksApi {
    /// The organization's tasks, oldest first (members).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/:org_id/tasks", method = "get", operation_id = "list_tasks")]
    async fn list(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Only this project's tasks.
        project_id: Query<Option<ProjectId>>,
        /// Only tasks in this status.
        status: Query<Option<TaskStatus>>,
        /// Only tasks assigned to this member.
        assignee_id: Query<Option<UserId>>,
        /// Only tasks due on or after this date, `YYYY-MM-DD`.
        due_from: Query<Option<NaiveDate>>,
        /// Only tasks due on or before this date, `YYYY-MM-DD`.
        due_to: Query<Option<NaiveDate>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<TaskView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>> {
        let page = page(limit.0, cursor.0)?;
        let filter = TaskFilter {
            project_id: project_id.0,
            status: status.0,
            assignee_id: assignee_id.0,
            due_from: due_from.0,
            due_to: due_to.0,
        };
        Ok(JsonResponse(
            state
                .time
                .tasks
                .list(&state.db, &member, filter, &page)
                .await?,
        ))
    }

    /// Add a task to one of the organization's projects (members); the
    /// assignee must be a member (422 naming `assignee_id`).
    #[oai(path = "/:org_id/tasks", method = "post", operation_id = "create_task")]
    async fn create(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<CreateTask>,
    ) -> Result<
        Created<TaskView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | NOT_FOUND | JSON_BODY | UNPROCESSABLE }>,
    > {
        let created = state.time.tasks.create(&state.db, &member, body.0).await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One task (members).
    #[oai(path = "/:org_id/tasks/:id", method = "get", operation_id = "get_task")]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
    ) -> Result<JsonResponse<TaskView>, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>>
    {
        Ok(JsonResponse(
            state.time.tasks.get(&state.db, &member, id.0).await?,
        ))
    }

    /// Change a task (members): absent fields stay, `null` clears an
    /// optional one. A task stays in its project.
    #[oai(
        path = "/:org_id/tasks/:id",
        method = "patch",
        operation_id = "update_task"
    )]
    async fn update(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
        body: Json<UpdateTask>,
    ) -> Result<
        JsonResponse<TaskView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .time
                .tasks
                .update(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Delete a task and its comments (members); a task with time logged
    /// on it is refused, 409 `task.in_use`: mark it done instead.
    #[oai(
        path = "/:org_id/tasks/:id",
        method = "delete",
        operation_id = "delete_task"
    )]
    async fn delete(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | CONFLICT }>>
    {
        state.time.tasks.delete(&state.db, &member, id.0).await?;
        Ok(NoContent::NoContent)
    }

    /// A task's comments, oldest first (members).
    #[oai(
        path = "/:org_id/tasks/:id/comments",
        method = "get",
        operation_id = "list_task_comments"
    )]
    async fn comments(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<CommentView>>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED | NOT_FOUND }>,
    > {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .time
                .tasks
                .comments(&state.db, &member, id.0, &page)
                .await?,
        ))
    }

    /// Comment on a task, as the caller (members).
    #[oai(
        path = "/:org_id/tasks/:id/comments",
        method = "post",
        operation_id = "create_task_comment"
    )]
    async fn add_comment(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
        body: Json<CommentBody>,
    ) -> Result<
        Created<CommentView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE }>,
    > {
        let created = state
            .time
            .tasks
            .add_comment(&state.db, &member, id.0, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// Rewrite a comment (its author only: anyone else gets 403
    /// `task_comment.not_author`).
    #[oai(
        path = "/:org_id/tasks/:id/comments/:comment_id",
        method = "patch",
        operation_id = "update_task_comment"
    )]
    async fn edit_comment(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
        /// The comment.
        comment_id: Path<CommentId>,
        body: Json<CommentBody>,
    ) -> Result<
        JsonResponse<CommentView>,
        Problems<
            {
                RATE_LIMITED
                    | ORG_MEMBER
                    | PARAMS
                    | NOT_FOUND
                    | FORBIDDEN
                    | JSON_BODY
                    | UNPROCESSABLE
            },
        >,
    > {
        Ok(JsonResponse(
            state
                .time
                .tasks
                .edit_comment(&state.db, &member, id.0, comment_id.0, body.0)
                .await?,
        ))
    }

    /// Delete a comment (its author only: anyone else gets 403
    /// `task_comment.not_author`).
    #[oai(
        path = "/:org_id/tasks/:id/comments/:comment_id",
        method = "delete",
        operation_id = "delete_task_comment"
    )]
    async fn delete_comment(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The task.
        id: Path<TaskId>,
        /// The comment.
        comment_id: Path<CommentId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND | FORBIDDEN }>>
    {
        state
            .time
            .tasks
            .delete_comment(&state.db, &member, id.0, comment_id.0)
            .await?;
        Ok(NoContent::NoContent)
    }
}
