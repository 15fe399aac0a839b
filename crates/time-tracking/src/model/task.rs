//! Tasks of a project and the comments on them.

use chrono::NaiveDate;
use poem_openapi::{Enum, Object, types::MaybeUndefined};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::{Timestamp, id::UserId};
use validator::Validate;

use crate::ids::{CommentId, ProjectId, TaskId};

/// Where a task stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskStatus {
    /// Not started.
    #[sea_orm(string_value = "todo")]
    Todo,
    /// Being worked on.
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    /// Finished.
    #[sea_orm(string_value = "done")]
    Done,
}

/// How urgent a task is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskPriority {
    /// When there is time.
    #[sea_orm(string_value = "low")]
    Low,
    /// The default.
    #[sea_orm(string_value = "normal")]
    Normal,
    /// Before normal work.
    #[sea_orm(string_value = "high")]
    High,
    /// Before anything else.
    #[sea_orm(string_value = "urgent")]
    Urgent,
}

/// Add a task to a project.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateTask {
    /// The project.
    pub project_id: ProjectId,
    /// Title.
    #[validate(length(min = 1, max = 300))]
    pub title: String,
    /// What is to be done.
    #[validate(length(max = 20000))]
    pub description: Option<String>,
    /// Default `todo`.
    pub status: Option<TaskStatus>,
    /// Default `normal`.
    pub priority: Option<TaskPriority>,
    /// A member of the organization.
    pub assignee_id: Option<UserId>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Estimate in minutes.
    #[validate(range(min = 1, max = 6_000_000))]
    pub estimate_minutes: Option<i32>,
}

/// Change a task; absent fields stay, `null` clears. A task stays in its
/// project (its time entries are booked there).
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateTask {
    /// Title.
    pub title: Option<String>,
    /// What is to be done.
    pub description: MaybeUndefined<String>,
    /// Where it stands.
    pub status: Option<TaskStatus>,
    /// How urgent.
    pub priority: Option<TaskPriority>,
    /// A member of the organization.
    pub assignee_id: MaybeUndefined<UserId>,
    /// Due date.
    pub due_on: MaybeUndefined<NaiveDate>,
    /// Estimate in minutes.
    pub estimate_minutes: MaybeUndefined<i32>,
}

/// Which tasks to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only this project's.
    pub project_id: Option<ProjectId>,
    /// Only in this status.
    pub status: Option<TaskStatus>,
    /// Only this member's.
    pub assignee_id: Option<UserId>,
    /// Due on or after this date.
    pub due_from: Option<NaiveDate>,
    /// Due on or before this date.
    pub due_to: Option<NaiveDate>,
}

/// A task.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct TaskView {
    /// The id.
    pub id: TaskId,
    /// The project.
    pub project_id: ProjectId,
    /// Title.
    pub title: String,
    /// What is to be done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where it stands.
    pub status: TaskStatus,
    /// How urgent.
    pub priority: TaskPriority,
    /// Who does it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<UserId>,
    /// Due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<NaiveDate>,
    /// Estimate in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_minutes: Option<i32>,
    /// Who created it (absent once their account is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Write (or rewrite) a comment.
#[derive(Debug, Clone, Object, Validate)]
pub struct CommentBody {
    /// Text.
    #[validate(length(min = 1, max = 10000))]
    pub body: String,
}

/// A comment on a task.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CommentView {
    /// The id.
    pub id: CommentId,
    /// The task.
    pub task_id: TaskId,
    /// Who wrote it (absent once their account is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<UserId>,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: Timestamp,
    /// Last edited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Timestamp>,
}
