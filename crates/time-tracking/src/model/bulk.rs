//! Bulk operations on tasks and clients: one transaction, a result per id.

use poem_openapi::{Enum, Object, types::MaybeUndefined};
use serde::{Deserialize, Serialize};
use trellis_kernel::id::UserId;
use uuid::Uuid;

use super::TaskStatus;
use crate::ids::{AgencyClientId, TaskId};

/// What to do to every task listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BulkTaskAction {
    /// Set `status`.
    SetStatus,
    /// Set `assignee_id` (`null` unassigns).
    SetAssignee,
    /// Delete (with their comments); a task with time logged is a conflict.
    Delete,
}

/// Change or delete many tasks at once (admins).
#[derive(Debug, Clone, Object)]
pub struct BulkTasks {
    /// The tasks, at most 500; repeats count once.
    pub ids: Vec<TaskId>,
    /// What to do.
    pub action: BulkTaskAction,
    /// The status, for `set_status`.
    pub status: Option<TaskStatus>,
    /// The member to assign (or `null` to unassign), for `set_assignee`.
    pub assignee_id: MaybeUndefined<UserId>,
}

/// What to do to every client listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BulkClientAction {
    /// Archive.
    Archive,
    /// Bring back from the archive.
    Unarchive,
    /// Delete; a client with projects is a conflict.
    Delete,
}

/// Archive or delete many clients at once (admins).
#[derive(Debug, Clone, Object)]
pub struct BulkClients {
    /// The clients, at most 500; repeats count once.
    pub ids: Vec<AgencyClientId>,
    /// What to do.
    pub action: BulkClientAction,
}

/// What happened to one id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Done.
    Ok,
    /// No such row in the organization (nothing done).
    NotFound,
    /// The row's state forbids it (see `code` and `reason`); nothing done to it.
    Conflict,
}

/// The result for one id.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct BulkItemResult {
    /// The id, as given.
    pub id: Uuid,
    /// What happened.
    pub outcome: BulkOutcome,
    /// For a conflict: the error code a single operation would answer with
    /// (`task.in_use`, `agency_client.in_use`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For a conflict: why, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The results of a bulk operation, one per distinct id in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct BulkReport {
    /// How many were done.
    pub ok: u32,
    /// How many were not found.
    pub not_found: u32,
    /// How many were refused.
    pub conflict: u32,
    /// Per id.
    pub results: Vec<BulkItemResult>,
}
