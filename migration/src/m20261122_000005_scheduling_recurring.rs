//! Scheduling: recurring schedules (weekly or every N weeks, materialized
//! into appointments ahead of time).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecurringSchedules {
    Table,
    Id,
    ProfessionalId,
    ClientId,
    ServiceId,
    Weekday,
    LocalMinute,
    IntervalWeeks,
    StartsOn,
    Until,
    Occurrences,
    NextIndex,
    CreatedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum Professionals {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    RecurringScheduleId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RecurringSchedules::Table)
                .col(
                    ColumnDef::new(RecurringSchedules::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::ProfessionalId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::ClientId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::ServiceId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::Weekday)
                        .small_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::LocalMinute)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::IntervalWeeks)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::StartsOn)
                        .date()
                        .not_null(),
                )
                .col(ColumnDef::new(RecurringSchedules::Until).date().null())
                .col(
                    ColumnDef::new(RecurringSchedules::Occurrences)
                        .integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::NextIndex)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RecurringSchedules::CancelledAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_recurring_professional")
                        .from(
                            RecurringSchedules::Table,
                            RecurringSchedules::ProfessionalId,
                        )
                        .to(Professionals::Table, Professionals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_recurring_professional")
                .table(RecurringSchedules::Table)
                .col(RecurringSchedules::ProfessionalId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_appointments_recurring")
                .table(Appointments::Table)
                .col(Appointments::RecurringScheduleId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_appointments_recurring")
                .table(Appointments::Table)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(RecurringSchedules::Table).to_owned())
            .await
    }
}
