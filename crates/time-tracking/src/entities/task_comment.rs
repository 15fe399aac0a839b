//! `task_comments`.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::ids::{CommentId, TaskId};

/// A comment on a task.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "task_comments")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CommentId,
    /// Whose (the task's organization).
    pub org_id: OrgId,
    /// The task.
    pub task_id: TaskId,
    /// Who wrote it.
    pub author_id: Option<UserId>,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: DateTimeUtc,
    /// Last edited.
    pub edited_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
