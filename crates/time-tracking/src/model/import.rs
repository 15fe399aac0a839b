//! CSV imports and their history. The columns each kind reads are in
//! [`crate::columns`].

use poem_openapi::{Enum, Object};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::{Timestamp, id::UserId};

use crate::ids::ImportId;

/// What a CSV import reads.
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
pub enum ImportKind {
    /// Agency clients.
    #[sea_orm(string_value = "clients")]
    Clients,
    /// Projects of the organization's clients.
    #[sea_orm(string_value = "projects")]
    Projects,
    /// Stopped time entries.
    #[sea_orm(string_value = "time_entries")]
    TimeEntries,
}

/// How an import ended.
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
pub enum ImportStatus {
    /// A dry run: every row was checked, nothing was kept.
    #[sea_orm(string_value = "validated")]
    Validated,
    /// The valid rows were written.
    #[sea_orm(string_value = "committed")]
    Committed,
    /// All or nothing, and some row failed: nothing was written.
    #[sea_orm(string_value = "rolled_back")]
    RolledBack,
    /// Stopped before the end of the file (unreadable upload, too many
    /// rows): nothing was written.
    #[sea_orm(string_value = "aborted")]
    Aborted,
}

/// How to run an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// What the file holds.
    pub kind: ImportKind,
    /// Check every row and keep nothing.
    pub dry_run: bool,
    /// Write nothing if any row fails (otherwise the valid rows are written).
    pub all_or_nothing: bool,
}

/// Why one row (or one field of it) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportRowError {
    /// The line of the file the row starts on (the header is line 1).
    pub row: u64,
    /// The column at fault; absent when the row as a whole is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

/// The outcome of an import, with its per-row errors.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportReport {
    /// The import, in the organization's history.
    pub id: ImportId,
    /// What the file held.
    pub kind: ImportKind,
    /// How it ended.
    pub status: ImportStatus,
    /// Checked only.
    pub dry_run: bool,
    /// Nothing written if any row failed.
    pub all_or_nothing: bool,
    /// Who ran it (absent once their account is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Data rows read (the header not counted).
    pub rows_read: u64,
    /// Rows written (0 for a dry run: `rows_read - rows_failed` would be).
    pub rows_written: u64,
    /// Rows refused.
    pub rows_failed: u64,
    /// The errors found, by row: at most the first 1000.
    pub errors: Vec<ImportRowError>,
    /// How many more errors there were.
    pub errors_omitted: u64,
    /// Started.
    pub created_at: Timestamp,
    /// Ended.
    pub finished_at: Timestamp,
}

/// One import of the history, without its errors.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportSummary {
    /// The import.
    pub id: ImportId,
    /// What the file held.
    pub kind: ImportKind,
    /// How it ended.
    pub status: ImportStatus,
    /// Checked only.
    pub dry_run: bool,
    /// Nothing written if any row failed.
    pub all_or_nothing: bool,
    /// Who ran it (absent once their account is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows written.
    pub rows_written: u64,
    /// Rows refused.
    pub rows_failed: u64,
    /// Started.
    pub created_at: Timestamp,
    /// Ended.
    pub finished_at: Timestamp,
}
