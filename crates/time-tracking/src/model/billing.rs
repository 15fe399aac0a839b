//! What billing takes from time tracking.

use chrono::{DateTime, Utc};
use serde::Serialize;
use trellis_kernel::id::UserId;

use crate::ids::{ProjectId, TaskId, TimeEntryId};

/// A billable entry not yet on an invoice: what an invoice line is made of.
/// Handed to billing (through the gateway), not to clients, so it is a
/// plain struct rather than a view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillableEntry {
    /// The entry.
    pub id: TimeEntryId,
    /// Whose time.
    pub user_id: UserId,
    /// The project.
    pub project_id: ProjectId,
    /// Its name, for the line's description.
    pub project_name: String,
    /// The task.
    pub task_id: Option<TaskId>,
    /// Its title.
    pub task_title: Option<String>,
    /// What was done.
    pub description: Option<String>,
    /// Started.
    pub start_at: DateTime<Utc>,
    /// Ended.
    pub end_at: DateTime<Utc>,
    /// Length in seconds.
    pub seconds: i64,
    /// Hourly rate in minor units when written; `None`: no rate was set.
    pub rate_minor: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    /// `rate × seconds / 3600`, rounded half up ([`crate::money`]); 0 without a rate.
    pub amount_minor: i64,
}
