//! Commands and views of the time-tracking API, one file per aggregate.
//!
//! Commands carry the kernel's value types (`Email`, `Phone`, `Currency`,
//! `TimeZone`): they arrive parsed, and services trust them. Views omit an
//! absent optional field (never `null`) and derive `Serialize` mirroring
//! their `#[oai]` attributes, so the gateway can write them straight to
//! bytes; the tests below hold serde and the schema to the same output.

mod billing;
mod bulk;
mod client;
mod import;
mod project;
mod report;
mod settings;
mod task;
mod time_entry;

pub use billing::BillableEntry;
pub use bulk::{
    BulkClientAction, BulkClients, BulkItemResult, BulkOutcome, BulkReport, BulkTaskAction,
    BulkTasks,
};
pub use client::{AgencyClientFilter, AgencyClientView, CreateAgencyClient, UpdateAgencyClient};
pub use import::{
    ImportKind, ImportOptions, ImportReport, ImportRowError, ImportStatus, ImportSummary,
};
pub use project::{
    CreateProject, ProjectFilter, ProjectStatus, ProjectView, UpdateProject, is_color,
};
pub use report::{GroupBy, MoneyAmount, SummaryGroup, SummaryReport, SummaryTotal};
pub use settings::{RoundingMode, RoundingRule, TimeSettingsView, UpdateTimeSettings};
pub use task::{
    CommentBody, CommentView, CreateTask, TaskFilter, TaskPriority, TaskStatus, TaskView,
    UpdateTask,
};
pub use time_entry::{
    CreateTimeEntry, StartTimer, TimeEntryFilter, TimeEntryView, UpdateTimeEntry,
};

#[cfg(test)]
mod tests;
