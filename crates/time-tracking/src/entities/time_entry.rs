//! `time_entries`.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::ids::{ProjectId, TaskId, TimeEntryId};

/// A time entry; `end_at` is `NULL` while its timer runs.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_entries")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: TimeEntryId,
    /// Whose entry.
    pub org_id: OrgId,
    /// Whose time.
    pub user_id: UserId,
    /// The project.
    pub project_id: ProjectId,
    /// The task.
    pub task_id: Option<TaskId>,
    /// What was done.
    pub description: Option<String>,
    /// Started (whole seconds, rounded).
    pub start_at: DateTimeUtc,
    /// Ended; `NULL` while running.
    pub end_at: Option<DateTimeUtc>,
    /// `end_at - start_at` in seconds, kept so reports sum a column
    /// instead of doing date arithmetic that differs between databases.
    pub duration_seconds: Option<i64>,
    /// Billable.
    pub billable: bool,
    /// Hourly rate when written, minor units.
    pub rate_minor: Option<i64>,
    /// The client's currency when written.
    pub currency: String,
    /// The invoice it is billed on.
    pub billed_invoice_id: Option<Uuid>,
    /// Logged.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
