//! Time entries and timers.

use chrono::{DateTime, Utc};
use poem_openapi::{Object, types::MaybeUndefined};
use serde::Serialize;
use trellis_kernel::{Timestamp, id::UserId};
use uuid::Uuid;
use validator::Validate;

use crate::ids::{AgencyClientId, ProjectId, TaskId, TimeEntryId};

/// Log time worked.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateTimeEntry {
    /// Whose time: the caller's when absent; an admin may log another member's.
    pub user_id: Option<UserId>,
    /// The project.
    pub project_id: ProjectId,
    /// A task of that project.
    pub task_id: Option<TaskId>,
    /// What was done.
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    /// Started.
    pub start_at: DateTime<Utc>,
    /// Ended.
    pub end_at: DateTime<Utc>,
    /// Billable; the project's default when absent.
    pub billable: Option<bool>,
}

/// Change an entry; absent fields stay, `null` clears. A running entry
/// given an `end_at` stops.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateTimeEntry {
    /// The project (the rate is taken again from it).
    pub project_id: Option<ProjectId>,
    /// A task of the entry's project.
    pub task_id: MaybeUndefined<TaskId>,
    /// What was done.
    pub description: MaybeUndefined<String>,
    /// Started.
    pub start_at: Option<DateTime<Utc>>,
    /// Ended.
    pub end_at: Option<DateTime<Utc>>,
    /// Billable.
    pub billable: Option<bool>,
}

/// Start a timer (stopping the one running, if any).
#[derive(Debug, Clone, Object, Validate)]
pub struct StartTimer {
    /// The project.
    pub project_id: ProjectId,
    /// A task of that project.
    pub task_id: Option<TaskId>,
    /// What is being done.
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    /// Billable; the project's default when absent.
    pub billable: Option<bool>,
}

/// Which entries to list (newest start first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeEntryFilter {
    /// Only this member's.
    pub user_id: Option<UserId>,
    /// Only this project's.
    pub project_id: Option<ProjectId>,
    /// Only this client's projects'.
    pub client_id: Option<AgencyClientId>,
    /// Only this task's.
    pub task_id: Option<TaskId>,
    /// Only billable (`true`) or non-billable (`false`) ones.
    pub billable: Option<bool>,
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// Only running timers (`true`, no end yet) or only stopped entries (`false`).
    pub running: Option<bool>,
}

/// A time entry.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct TimeEntryView {
    /// The id.
    pub id: TimeEntryId,
    /// Whose time.
    pub user_id: UserId,
    /// The project.
    pub project_id: ProjectId,
    /// The task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// What was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Started (rounded as the organization rounds).
    pub start_at: Timestamp,
    /// Ended; absent while the timer runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_at: Option<Timestamp>,
    /// Length in seconds; absent while the timer runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// Billable.
    pub billable: bool,
    /// Hourly rate in minor units when written (project's, else client's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_minor: Option<i64>,
    /// The client's currency when written.
    pub currency: String,
    /// The invoice it was billed on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_invoice_id: Option<Uuid>,
    /// Logged.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
