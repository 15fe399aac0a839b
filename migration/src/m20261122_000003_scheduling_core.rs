//! Scheduling: professionals, their services, weekly availability, time off,
//! clients and notes, appointments, plus the idempotency store and job
//! leases the booking flow and the reminder job rely on.
//!
//! Double booking is impossible on PostgreSQL at the database level: an
//! exclusion constraint (btree_gist) forbids two active appointments of one
//! professional whose blocked ranges (buffers included) overlap. SQLite has no
//! such constraint; there the application checks and inserts inside one
//! write transaction, which SQLite serializes.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Professionals {
    Table,
    Id,
    UserId,
    OrgId,
    Slug,
    Name,
    Bio,
    TimeZone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    ProfessionalId,
    Name,
    DurationMinutes,
    PriceMinor,
    Currency,
    BufferBeforeMinutes,
    BufferAfterMinutes,
    MinNoticeMinutes,
    MaxAdvanceDays,
    SlotIncrementMinutes,
    RequiresConfirmation,
    CancellationNoticeMinutes,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AvailabilityRules {
    Table,
    Id,
    ProfessionalId,
    Weekday,
    StartMinute,
    EndMinute,
}

#[derive(DeriveIden)]
enum TimeOff {
    Table,
    Id,
    ProfessionalId,
    StartAt,
    EndAt,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    ProfessionalId,
    UserId,
    Name,
    Phone,
    Email,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ClientNotes {
    Table,
    Id,
    ClientId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    Id,
    ProfessionalId,
    ServiceId,
    ClientId,
    StartAt,
    EndAt,
    BlockStart,
    BlockEnd,
    Status,
    PriceMinor,
    Currency,
    Notes,
    CancelReason,
    RescheduledFrom,
    RecurringScheduleId,
    ReminderSentAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
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

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

fn int(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().to_owned()
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

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Professionals::Table)
                .col(id(Professionals::Id))
                .col(uuid(Professionals::UserId))
                .col(uuid(Professionals::OrgId))
                .col(
                    ColumnDef::new(Professionals::Slug)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Professionals::Name)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(Professionals::Bio).text().null())
                .col(
                    ColumnDef::new(Professionals::TimeZone)
                        .string_len(64)
                        .not_null(),
                )
                .col(ts(Professionals::CreatedAt))
                .col(ts(Professionals::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_professionals_user",
                    (Professionals::Table, Professionals::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_professionals_org",
                    (Professionals::Table, Professionals::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_professionals_slug",
            Professionals::Table,
            &["slug"],
            true,
        )
        .await?;
        index(
            m,
            "ux_professionals_user",
            Professionals::Table,
            &["user_id"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Services::Table)
                .col(id(Services::Id))
                .col(uuid(Services::ProfessionalId))
                .col(ColumnDef::new(Services::Name).string_len(200).not_null())
                .col(int(Services::DurationMinutes))
                .col(
                    ColumnDef::new(Services::PriceMinor)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Services::Currency).string_len(3).not_null())
                .col(int(Services::BufferBeforeMinutes))
                .col(int(Services::BufferAfterMinutes))
                .col(int(Services::MinNoticeMinutes))
                .col(int(Services::MaxAdvanceDays))
                .col(int(Services::SlotIncrementMinutes))
                .col(
                    ColumnDef::new(Services::RequiresConfirmation)
                        .boolean()
                        .not_null(),
                )
                .col(int(Services::CancellationNoticeMinutes))
                .col(ColumnDef::new(Services::Active).boolean().not_null())
                .col(ts(Services::CreatedAt))
                .col(ts(Services::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_services_professional",
                    (Services::Table, Services::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_services_professional",
            Services::Table,
            &["professional_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AvailabilityRules::Table)
                .col(id(AvailabilityRules::Id))
                .col(uuid(AvailabilityRules::ProfessionalId))
                .col(
                    ColumnDef::new(AvailabilityRules::Weekday)
                        .small_integer()
                        .not_null(),
                )
                .col(int(AvailabilityRules::StartMinute))
                .col(int(AvailabilityRules::EndMinute))
                .foreign_key(&mut cascade(
                    "fk_availability_professional",
                    (AvailabilityRules::Table, AvailabilityRules::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_availability_professional",
            AvailabilityRules::Table,
            &["professional_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TimeOff::Table)
                .col(id(TimeOff::Id))
                .col(uuid(TimeOff::ProfessionalId))
                .col(ts(TimeOff::StartAt))
                .col(ts(TimeOff::EndAt))
                .col(ColumnDef::new(TimeOff::Reason).string_len(500).null())
                .col(ts(TimeOff::CreatedAt))
                .foreign_key(&mut cascade(
                    "fk_time_off_professional",
                    (TimeOff::Table, TimeOff::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_time_off_professional_start",
            TimeOff::Table,
            &["professional_id", "start_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Clients::Table)
                .col(id(Clients::Id))
                .col(uuid(Clients::ProfessionalId))
                .col(ColumnDef::new(Clients::UserId).uuid().null())
                .col(ColumnDef::new(Clients::Name).string_len(200).not_null())
                .col(ColumnDef::new(Clients::Phone).string_len(16).null())
                .col(ColumnDef::new(Clients::Email).string_len(254).null())
                .col(ts(Clients::CreatedAt))
                .col(ts(Clients::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_clients_professional",
                    (Clients::Table, Clients::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_clients_professional_phone",
            Clients::Table,
            &["professional_id", "phone"],
            true,
        )
        .await?;
        index(
            m,
            "ux_clients_professional_email",
            Clients::Table,
            &["professional_id", "email"],
            true,
        )
        .await?;
        index(m, "ix_clients_user", Clients::Table, &["user_id"], false).await?;

        m.create_table(
            Table::create()
                .table(ClientNotes::Table)
                .col(id(ClientNotes::Id))
                .col(uuid(ClientNotes::ClientId))
                .col(ColumnDef::new(ClientNotes::Body).text().not_null())
                .col(ts(ClientNotes::CreatedAt))
                .foreign_key(&mut cascade(
                    "fk_client_notes_client",
                    (ClientNotes::Table, ClientNotes::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_client_notes_client",
            ClientNotes::Table,
            &["client_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Appointments::Table)
                .col(id(Appointments::Id))
                .col(uuid(Appointments::ProfessionalId))
                .col(uuid(Appointments::ServiceId))
                .col(uuid(Appointments::ClientId))
                .col(ts(Appointments::StartAt))
                .col(ts(Appointments::EndAt))
                .col(ts(Appointments::BlockStart))
                .col(ts(Appointments::BlockEnd))
                .col(
                    ColumnDef::new(Appointments::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Appointments::PriceMinor)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Appointments::Currency)
                        .string_len(3)
                        .not_null(),
                )
                .col(ColumnDef::new(Appointments::Notes).text().null())
                .col(
                    ColumnDef::new(Appointments::CancelReason)
                        .string_len(500)
                        .null(),
                )
                .col(ColumnDef::new(Appointments::RescheduledFrom).uuid().null())
                .col(
                    ColumnDef::new(Appointments::RecurringScheduleId)
                        .uuid()
                        .null(),
                )
                .col(ts_null(Appointments::ReminderSentAt))
                .col(ts(Appointments::CreatedAt))
                .col(ts(Appointments::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_appointments_professional",
                    (Appointments::Table, Appointments::ProfessionalId),
                    (Professionals::Table, Professionals::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_appointments_service",
                    (Appointments::Table, Appointments::ServiceId),
                    (Services::Table, Services::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_appointments_client",
                    (Appointments::Table, Appointments::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_appointments_professional_start",
            Appointments::Table,
            &["professional_id", "start_at"],
            false,
        )
        .await?;
        index(
            m,
            "ix_appointments_client",
            Appointments::Table,
            &["client_id", "start_at"],
            false,
        )
        .await?;
        index(
            m,
            "ix_appointments_reminders",
            Appointments::Table,
            &["status", "start_at"],
            false,
        )
        .await?;
        if m.get_database_backend() == DbBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap \
                 EXCLUDE USING gist (professional_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&) \
                 WHERE (status IN ('pending', 'confirmed'))",
            )
            .await?;
        }

        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Appointments::Table.into_iden(),
            ClientNotes::Table.into_iden(),
            Clients::Table.into_iden(),
            TimeOff::Table.into_iden(),
            AvailabilityRules::Table.into_iden(),
            Services::Table.into_iden(),
            Professionals::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
