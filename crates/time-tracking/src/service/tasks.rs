//! Tasks and their comments.

use std::{collections::HashSet, sync::Arc};
use trellis_kernel::db::WriteTransaction;

use poem_openapi::types::MaybeUndefined;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use trellis_kernel::{FieldError, Page, PageRequest, id::UserId, ports::OrgAccess};
use uuid::Uuid;
use validator::Validate;

use super::{TimeTrackingDeps, after, bulk, optional_text, projects::project_row, text};
use crate::{
    entities::{task, task_comment, time_entry},
    error::{Error, Result},
    ids::{CommentId, TaskId},
    model::{
        BulkReport, BulkTaskAction, BulkTasks, CommentBody, CommentView, CreateTask, TaskFilter,
        TaskPriority, TaskStatus, TaskView, UpdateTask,
    },
    view,
};

/// The row of one of the organization's tasks.
pub(crate) async fn task_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    id: TaskId,
) -> Result<task::Model> {
    task::Entity::find_by_id(id)
        .filter(task::Column::OrgId.eq(access.org_id()))
        .one(db)
        .await?
        .ok_or(Error::TaskNotFound)
}

/// Tasks and comments.
#[derive(Debug, Clone)]
pub struct TaskService {
    deps: Arc<TimeTrackingDeps>,
}

impl TaskService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// Refuses an assignee who is not a member of the organization (422).
    async fn check_assignee(&self, access: &OrgAccess, assignee: Option<UserId>) -> Result<()> {
        if let Some(user) = assignee
            && self
                .deps
                .memberships
                .role_of(user, access.org_id())
                .await?
                .is_none()
        {
            return Err(Error::field(
                "assignee_id",
                "must be a member of the organization",
            ));
        }
        Ok(())
    }

    /// Adds a task to one of the organization's projects.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        cmd: CreateTask,
    ) -> Result<TaskView> {
        cmd.validate()?;
        let title = text("title", &cmd.title, 300)?;
        self.check_assignee(access, cmd.assignee_id).await?;
        let project = project_row(db, access, cmd.project_id).await?;
        let now = self.deps.clock.now();
        let row = task::ActiveModel {
            id: Set(TaskId::new()),
            org_id: Set(access.org_id()),
            project_id: Set(project.id),
            title: Set(title),
            description: Set(optional_text(cmd.description)),
            status: Set(cmd.status.unwrap_or(TaskStatus::Todo)),
            priority: Set(cmd.priority.unwrap_or(TaskPriority::Normal)),
            assignee_id: Set(cmd.assignee_id),
            due_on: Set(cmd.due_on),
            estimate_minutes: Set(cmd.estimate_minutes),
            created_by: Set(Some(access.user_id())),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        Ok(view::task(row))
    }

    /// One task.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: TaskId,
    ) -> Result<TaskView> {
        Ok(view::task(task_row(db, access, id).await?))
    }

    /// Tasks, oldest first.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        filter: TaskFilter,
        page: &PageRequest,
    ) -> Result<Page<TaskView>> {
        let mut select = task::Entity::find().filter(task::Column::OrgId.eq(access.org_id()));
        if let Some(project) = filter.project_id {
            select = select.filter(task::Column::ProjectId.eq(project));
        }
        if let Some(status) = filter.status {
            select = select.filter(task::Column::Status.eq(status));
        }
        if let Some(assignee) = filter.assignee_id {
            select = select.filter(task::Column::AssigneeId.eq(assignee));
        }
        if let Some(from) = filter.due_from {
            select = select.filter(task::Column::DueOn.gte(from));
        }
        if let Some(to) = filter.due_to {
            select = select.filter(task::Column::DueOn.lte(to));
        }
        if let Some(last) = after::<TaskId>(page)? {
            select = select.filter(task::Column::Id.gt(last));
        }
        let rows = select
            .order_by_asc(task::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |t| t.id, view::task))
    }

    /// Changes a task.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), task = %id))]
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: TaskId,
        cmd: UpdateTask,
    ) -> Result<TaskView> {
        let title = cmd
            .title
            .as_deref()
            .map(|t| text("title", t, 300))
            .transpose()?;
        let mut errors = Vec::new();
        if let Some(d) = cmd.description.value()
            && d.chars().count() > 20_000
        {
            errors.push(FieldError::new(
                "description",
                "must be at most 20000 characters",
            ));
        }
        if let Some(m) = cmd.estimate_minutes.value()
            && !(1..=6_000_000).contains(m)
        {
            errors.push(FieldError::new(
                "estimate_minutes",
                "must be between 1 and 6000000",
            ));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        self.check_assignee(access, cmd.assignee_id.value().copied())
            .await?;
        let mut row = task_row(db, access, id).await?;
        if let Some(title) = title {
            row.title = title;
        }
        cmd.description.update_to(&mut row.description);
        row.description = optional_text(row.description);
        if let Some(status) = cmd.status {
            row.status = status;
        }
        if let Some(priority) = cmd.priority {
            row.priority = priority;
        }
        cmd.assignee_id.update_to(&mut row.assignee_id);
        cmd.due_on.update_to(&mut row.due_on);
        cmd.estimate_minutes.update_to(&mut row.estimate_minutes);
        row.updated_at = self.deps.clock.now();
        let mut active = row.into_active_model();
        for column in [
            task::Column::Title,
            task::Column::Description,
            task::Column::Status,
            task::Column::Priority,
            task::Column::AssigneeId,
            task::Column::DueOn,
            task::Column::EstimateMinutes,
            task::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        Ok(view::task(active.update(db).await?))
    }

    /// Deletes a task and its comments. A task with time logged on it is
    /// refused (409 `task.in_use`): mark it done instead.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), task = %id))]
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: TaskId,
    ) -> Result<()> {
        let deleted = task::Entity::delete_many()
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::OrgId.eq(access.org_id()))
            .exec(db)
            .await
            .map_err(Error::in_use(Error::TaskInUse))?;
        if deleted.rows_affected == 0 {
            return Err(Error::TaskNotFound);
        }
        Ok(())
    }

    /// Sets the status or assignee of many tasks, or deletes them (admins),
    /// in one transaction: a result per distinct id, in the order given.
    /// Another organization's ids are `not_found`; a task with time logged
    /// on it is not deleted (`conflict`, `task.in_use`). A missing `status`
    /// or `assignee_id`, or an assignee who is not a member, refuses the
    /// whole request (422).
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), action = ?cmd.action))]
    pub async fn bulk<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        cmd: BulkTasks,
    ) -> Result<BulkReport> {
        bulk::require_admin(access)?;
        let ids = bulk::distinct(&cmd.ids)?;
        let now = self.deps.clock.now();
        let mut update =
            task::Entity::update_many().col_expr(task::Column::UpdatedAt, Expr::value(now));
        match cmd.action {
            BulkTaskAction::SetStatus => {
                let status = cmd
                    .status
                    .ok_or_else(|| Error::field("status", "is required to set the status"))?;
                update = update.col_expr(task::Column::Status, Expr::value(status));
            }
            BulkTaskAction::SetAssignee => {
                let assignee = match cmd.assignee_id {
                    MaybeUndefined::Undefined => {
                        return Err(Error::field(
                            "assignee_id",
                            "is required to set the assignee (null unassigns)",
                        ));
                    }
                    MaybeUndefined::Null => None,
                    MaybeUndefined::Value(user) => Some(user),
                };
                self.check_assignee(access, assignee).await?;
                update = update.col_expr(task::Column::AssigneeId, Expr::value(assignee));
            }
            BulkTaskAction::Delete => {}
        }
        let txn = db.begin_write().await?;
        let (done, refused) = if cmd.action == BulkTaskAction::Delete {
            let unused = Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(time_entry::Entity)
                    .and_where(
                        Expr::col((time_entry::Entity, time_entry::Column::TaskId))
                            .equals((task::Entity, task::Column::Id)),
                    )
                    .to_owned(),
            )
            .not();
            let deleted = task::Entity::delete_many()
                .filter(task::Column::OrgId.eq(access.org_id()))
                .filter(task::Column::Id.is_in(ids.clone()))
                .filter(unused)
                .exec_with_returning(&txn)
                .await
                .map_err(Error::in_use(Error::TaskInUse))?;
            let done: HashSet<Uuid> = deleted.into_iter().map(|t| t.id.0).collect();
            let left: Vec<TaskId> = task::Entity::find()
                .select_only()
                .column(task::Column::Id)
                .filter(task::Column::OrgId.eq(access.org_id()))
                .filter(task::Column::Id.is_in(ids.clone()))
                .into_tuple()
                .all(&txn)
                .await?;
            (done, left.into_iter().map(|id| id.0).collect())
        } else {
            let updated = update
                .filter(task::Column::OrgId.eq(access.org_id()))
                .filter(task::Column::Id.is_in(ids.clone()))
                .exec_with_returning(&txn)
                .await?;
            (
                updated.into_iter().map(|t| t.id.0).collect(),
                HashSet::new(),
            )
        };
        txn.commit().await?;
        Ok(bulk::report(
            ids.into_iter().map(|id| id.0),
            &done,
            &refused,
            &Error::TaskInUse,
        ))
    }

    /// A task's comments, oldest first.
    pub async fn comments(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        task: TaskId,
        page: &PageRequest,
    ) -> Result<Page<CommentView>> {
        let task = task_row(db, access, task).await?;
        let mut select = task_comment::Entity::find()
            .filter(task_comment::Column::TaskId.eq(task.id))
            .filter(task_comment::Column::OrgId.eq(access.org_id()));
        if let Some(last) = after::<CommentId>(page)? {
            select = select.filter(task_comment::Column::Id.gt(last));
        }
        let rows = select
            .order_by_asc(task_comment::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |c| c.id, view::comment))
    }

    /// Comments on a task, as the caller.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), task = %task))]
    pub async fn add_comment(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        task: TaskId,
        cmd: CommentBody,
    ) -> Result<CommentView> {
        cmd.validate()?;
        let body = text("body", &cmd.body, 10_000)?;
        let task = task_row(db, access, task).await?;
        let row = task_comment::ActiveModel {
            id: Set(CommentId::new()),
            org_id: Set(access.org_id()),
            task_id: Set(task.id),
            author_id: Set(Some(access.user_id())),
            body: Set(body),
            created_at: Set(self.deps.clock.now()),
            edited_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(view::comment(row))
    }

    /// The caller's own comment on the task; someone else's is 403.
    async fn own_comment(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        task: TaskId,
        id: CommentId,
    ) -> Result<task_comment::Model> {
        let row = task_comment::Entity::find_by_id(id)
            .filter(task_comment::Column::TaskId.eq(task))
            .filter(task_comment::Column::OrgId.eq(access.org_id()))
            .one(db)
            .await?
            .ok_or(Error::CommentNotFound)?;
        if row.author_id != Some(access.user_id()) {
            return Err(Error::NotAuthor);
        }
        Ok(row)
    }

    /// Rewrites the caller's comment.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), comment = %id))]
    pub async fn edit_comment(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        task: TaskId,
        id: CommentId,
        cmd: CommentBody,
    ) -> Result<CommentView> {
        cmd.validate()?;
        let body = text("body", &cmd.body, 10_000)?;
        let mut active = self
            .own_comment(db, access, task, id)
            .await?
            .into_active_model();
        active.body = Set(body);
        active.edited_at = Set(Some(self.deps.clock.now()));
        Ok(view::comment(active.update(db).await?))
    }

    /// Deletes the caller's comment.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), comment = %id))]
    pub async fn delete_comment(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        task: TaskId,
        id: CommentId,
    ) -> Result<()> {
        let row = self.own_comment(db, access, task, id).await?;
        task_comment::Entity::delete_by_id(row.id).exec(db).await?;
        Ok(())
    }
}
