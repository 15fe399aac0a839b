//! Scheduling: follows, reviews, and each appointment's local date (in the
//! professional's zone at booking time), so revenue groups by local day in
//! plain SQL on both databases (SQLite has no time-zone functions).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Follows {
    Table,
    UserId,
    ProfessionalId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    ProfessionalId,
    AppointmentId,
    UserId,
    Rating,
    Text,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    Id,
    ProfessionalId,
    LocalDate,
}

#[derive(DeriveIden)]
enum Professionals {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn cascade(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Follows::Table)
                .col(ColumnDef::new(Follows::UserId).uuid().not_null())
                .col(ColumnDef::new(Follows::ProfessionalId).uuid().not_null())
                .col(
                    ColumnDef::new(Follows::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(Follows::UserId)
                        .col(Follows::ProfessionalId),
                )
                .foreign_key(&mut cascade(
                    "fk_follows_user",
                    (Follows::Table, Follows::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_follows_professional",
                    (Follows::Table, Follows::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_follows_professional")
                .table(Follows::Table)
                .col(Follows::ProfessionalId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reviews::Table)
                .col(ColumnDef::new(Reviews::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Reviews::ProfessionalId).uuid().not_null())
                .col(ColumnDef::new(Reviews::AppointmentId).uuid().not_null())
                .col(ColumnDef::new(Reviews::UserId).uuid().not_null())
                .col(ColumnDef::new(Reviews::Rating).small_integer().not_null())
                .col(ColumnDef::new(Reviews::Text).text().null())
                .col(
                    ColumnDef::new(Reviews::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut cascade(
                    "fk_reviews_professional",
                    (Reviews::Table, Reviews::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_reviews_appointment",
                    (Reviews::Table, Reviews::AppointmentId),
                    (Appointments::Table, Appointments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_reviews_appointment")
                .table(Reviews::Table)
                .col(Reviews::AppointmentId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_reviews_professional")
                .table(Reviews::Table)
                .col(Reviews::ProfessionalId)
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table(Appointments::Table)
                .add_column(ColumnDef::new(Appointments::LocalDate).date().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_appointments_professional_local_date")
                .table(Appointments::Table)
                .col(Appointments::ProfessionalId)
                .col(Appointments::LocalDate)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_appointments_professional_local_date")
                .table(Appointments::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Appointments::Table)
                .drop_column(Appointments::LocalDate)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Reviews::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Follows::Table).to_owned())
            .await
    }
}
