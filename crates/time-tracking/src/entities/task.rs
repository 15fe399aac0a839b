//! `tasks`.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::{
    ids::{ProjectId, TaskId},
    model::{TaskPriority, TaskStatus},
};

/// A task.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: TaskId,
    /// Whose task.
    pub org_id: OrgId,
    /// The project.
    pub project_id: ProjectId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Where it stands.
    pub status: TaskStatus,
    /// How urgent.
    pub priority: TaskPriority,
    /// Who does it.
    pub assignee_id: Option<UserId>,
    /// Due date.
    pub due_on: Option<Date>,
    /// Estimate in minutes.
    pub estimate_minutes: Option<i32>,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
