//! `time_imports`: the history of CSV imports.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::{
    ids::ImportId,
    model::{ImportKind, ImportStatus},
};

/// One import.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_imports")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ImportId,
    /// Whose import.
    pub org_id: OrgId,
    /// Who ran it (`NULL` once their account is gone).
    pub user_id: Option<UserId>,
    /// What it imported.
    pub kind: ImportKind,
    /// Validated only.
    pub dry_run: bool,
    /// Nothing written if any row failed.
    pub all_or_nothing: bool,
    /// How it ended.
    pub status: ImportStatus,
    /// Data rows read.
    pub rows_read: i64,
    /// Rows written.
    pub rows_written: i64,
    /// Rows refused.
    pub rows_failed: i64,
    /// Errors beyond the report's cap.
    pub errors_omitted: i64,
    /// The per-row errors, a JSON array of `ImportRowError`.
    pub errors: String,
    /// Started.
    pub created_at: DateTimeUtc,
    /// Ended.
    pub finished_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
