//! Time tracking: the summary report reads an organization's range of
//! entries from one index, without visiting the table.
//!
//! `ix_time_entries_org_start` (organization, start) becomes
//! `ix_time_entries_org_start_cover`: the same key, so lists, exports and
//! the unbilled-time query use it as before, with the columns the summary
//! sums and groups by carried in its leaf pages (`INCLUDE`), so PostgreSQL
//! answers the report with an index-only scan of the range (the table's
//! pages are skipped once vacuum has marked them all-visible). SQLite has
//! no `INCLUDE` and is left as it is.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum TimeEntries {
    Table,
    OrgId,
    StartAt,
}

/// What the summary reads besides the key.
const INCLUDED: &str =
    "end_at, duration_seconds, billable, rate_minor, currency, project_id, user_id, task_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX ix_time_entries_org_start_cover \
             ON time_entries (org_id, start_at) INCLUDE ({INCLUDED})"
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_time_entries_org_start")
                .table(TimeEntries::Table)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.create_index(
            Index::create()
                .name("ix_time_entries_org_start")
                .table(TimeEntries::Table)
                .col(TimeEntries::OrgId)
                .col(TimeEntries::StartAt)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_time_entries_org_start_cover")
                .table(TimeEntries::Table)
                .to_owned(),
        )
        .await
    }
}
