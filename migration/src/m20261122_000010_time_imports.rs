//! Time tracking: the history of CSV imports.
//!
//! One row per import of clients, projects or time entries, dry runs
//! included: who ran it, when, what it read, wrote and refused, and the
//! per-row error report (JSON text, capped by the service). An import that
//! commits writes its row in the same transaction as the data; one that is
//! rolled back (a dry run, an all-or-nothing import with errors, one that
//! was stopped) writes it on its own afterwards.
//!
//! The person is `SET NULL` when their account goes, so the organization's
//! history stays; the organization's deletion takes its history with it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum TimeImports {
    Table,
    Id,
    OrgId,
    UserId,
    Kind,
    DryRun,
    AllOrNothing,
    Status,
    RowsRead,
    RowsWritten,
    RowsFailed,
    ErrorsOmitted,
    Errors,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizations {
    Table,
    Id,
}

fn count(col: TimeImports) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TimeImports::Table)
                .col(
                    ColumnDef::new(TimeImports::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(TimeImports::OrgId).uuid().not_null())
                .col(ColumnDef::new(TimeImports::UserId).uuid().null())
                .col(ColumnDef::new(TimeImports::Kind).string_len(16).not_null())
                .col(ColumnDef::new(TimeImports::DryRun).boolean().not_null())
                .col(
                    ColumnDef::new(TimeImports::AllOrNothing)
                        .boolean()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TimeImports::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(count(TimeImports::RowsRead))
                .col(count(TimeImports::RowsWritten))
                .col(count(TimeImports::RowsFailed))
                .col(count(TimeImports::ErrorsOmitted))
                .col(ColumnDef::new(TimeImports::Errors).text().not_null())
                .col(
                    ColumnDef::new(TimeImports::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TimeImports::FinishedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_time_imports_org")
                        .from(TimeImports::Table, TimeImports::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_time_imports_user")
                        .from(TimeImports::Table, TimeImports::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // The organization's history, newest first (ids are UUID v7).
        m.create_index(
            Index::create()
                .name("ix_time_imports_org")
                .table(TimeImports::Table)
                .col(TimeImports::OrgId)
                .col(TimeImports::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TimeImports::Table).to_owned())
            .await
    }
}
