//! The kernel's own tables, which every domain relies on: runtime settings
//! (`/internal/config`), idempotency keys, job leases and the event outbox.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppConfig {
    Table,
    Key,
    Value,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Kind,
    AggregateId,
    Payload,
    Sensitive,
    Status,
    Attempts,
    OccurredAt,
    AvailableAt,
    ClaimedBy,
    ClaimedUntil,
    LastError,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum OutboxDeliveries {
    Table,
    EventId,
    Subscriber,
    DeliveredAt,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AppConfig::Table)
                .col(
                    ColumnDef::new(AppConfig::Key)
                        .string_len(100)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AppConfig::Value).json().not_null())
                .col(ts(AppConfig::UpdatedAt))
                .col(ColumnDef::new(AppConfig::UpdatedBy).uuid().null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(
                    ColumnDef::new(IdempotencyKeys::Scope)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IdempotencyKeys::Key)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IdempotencyKeys::RequestHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IdempotencyKeys::Status)
                        .small_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(IdempotencyKeys::Body).text().not_null())
                .col(ts(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::Scope)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobLeases::Table)
                .col(
                    ColumnDef::new(JobLeases::Name)
                        .string_len(100)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(JobLeases::Holder).string_len(100).not_null())
                .col(ts(JobLeases::ExpiresAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OutboxEvents::Table)
                .col(
                    ColumnDef::new(OutboxEvents::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(OutboxEvents::Kind)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OutboxEvents::AggregateId)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(OutboxEvents::Payload).text().not_null())
                .col(
                    ColumnDef::new(OutboxEvents::Sensitive)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(OutboxEvents::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OutboxEvents::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts(OutboxEvents::OccurredAt))
                .col(ts(OutboxEvents::AvailableAt))
                .col(
                    ColumnDef::new(OutboxEvents::ClaimedBy)
                        .string_len(100)
                        .null(),
                )
                .col(ts_null(OutboxEvents::ClaimedUntil))
                .col(ColumnDef::new(OutboxEvents::LastError).text().null())
                .col(ts_null(OutboxEvents::DeliveredAt))
                .to_owned(),
        )
        .await?;
        // The dispatcher's claim: due events by status and time.
        m.create_index(
            Index::create()
                .name("outbox_events_due")
                .table(OutboxEvents::Table)
                .col(OutboxEvents::Status)
                .col(OutboxEvents::AvailableAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OutboxDeliveries::Table)
                .col(ColumnDef::new(OutboxDeliveries::EventId).uuid().not_null())
                .col(
                    ColumnDef::new(OutboxDeliveries::Subscriber)
                        .string_len(100)
                        .not_null(),
                )
                .col(ts(OutboxDeliveries::DeliveredAt))
                .primary_key(
                    Index::create()
                        .col(OutboxDeliveries::EventId)
                        .col(OutboxDeliveries::Subscriber),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(OutboxDeliveries::Table, OutboxDeliveries::EventId)
                        .to(OutboxEvents::Table, OutboxEvents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxDeliveries::Table.into_iden(),
            OutboxEvents::Table.into_iden(),
            JobLeases::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            AppConfig::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
