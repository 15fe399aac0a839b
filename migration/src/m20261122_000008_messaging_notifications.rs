//! Messaging, notifications: deliveries (one per recipient, channel and
//! address, each with its own attempts), preferences (per subject, kind
//! and channel), push devices and the watchdog's once-a-day alert record.
//!
//! A delivery is unique per request event, channel and address, so the
//! request's consumer can run again without sending twice. Its `content` is
//! the message rendered for its channel; for secret kinds (one-time links
//! and codes) it is erased once the delivery is sent or dead.
//!
//! A preference's `subject` is `user:<id>` for an account or
//! `email:<address>` / `phone:<e164>` for people without one (a booking's
//! client who followed an unsubscribe link).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationDeliveries {
    Table,
    Id,
    EventId,
    Kind,
    Channel,
    RecipientUserId,
    RecipientName,
    Address,
    DeviceId,
    Content,
    Secret,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    ClaimedUntil,
    ProviderId,
    LastError,
    FailureClass,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    Subject,
    Kind,
    Channel,
    Enabled,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PushDevices {
    Table,
    Id,
    UserId,
    Token,
    Platform,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum NotificationAlerts {
    Table,
    Day,
    SentAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn timestamp<T: IntoIden>(col: T) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    def.timestamp_with_time_zone().not_null();
    def
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use NotificationDeliveries as D;
        m.create_table(
            Table::create()
                .table(D::Table)
                .col(ColumnDef::new(D::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(D::EventId).uuid().not_null())
                .col(ColumnDef::new(D::Kind).string_len(40).not_null())
                .col(ColumnDef::new(D::Channel).string_len(16).not_null())
                .col(ColumnDef::new(D::RecipientUserId).uuid().null())
                .col(ColumnDef::new(D::RecipientName).string_len(200).not_null())
                .col(ColumnDef::new(D::Address).text().not_null())
                .col(ColumnDef::new(D::DeviceId).uuid().null())
                .col(ColumnDef::new(D::Content).text().not_null())
                .col(ColumnDef::new(D::Secret).boolean().not_null())
                .col(ColumnDef::new(D::Status).string_len(16).not_null())
                .col(ColumnDef::new(D::Attempts).integer().not_null())
                .col(timestamp(D::NextAttemptAt))
                .col(ColumnDef::new(D::ClaimedBy).string_len(100).null())
                .col(
                    ColumnDef::new(D::ClaimedUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(D::ProviderId).string_len(300).null())
                .col(ColumnDef::new(D::LastError).string_len(1000).null())
                // rejected, unregistered or transient: the watchdog re-queues
                // only what another try can fix.
                .col(ColumnDef::new(D::FailureClass).string_len(16).null())
                .col(timestamp(D::CreatedAt))
                .col(timestamp(D::UpdatedAt))
                .col(ColumnDef::new(D::SentAt).timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notification_deliveries_user")
                        .from(D::Table, D::RecipientUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_notification_deliveries_request")
                .table(D::Table)
                .col(D::EventId)
                .col(D::Channel)
                .col(D::Address)
                .unique()
                .to_owned(),
        )
        .await?;
        // The worker's claim: due deliveries by status and time.
        m.create_index(
            Index::create()
                .name("ix_notification_deliveries_due")
                .table(D::Table)
                .col(D::Status)
                .col(D::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notification_deliveries_user")
                .table(D::Table)
                .col(D::RecipientUserId)
                .to_owned(),
        )
        .await?;

        use NotificationPreferences as P;
        m.create_table(
            Table::create()
                .table(P::Table)
                .col(ColumnDef::new(P::Subject).string_len(330).not_null())
                .col(ColumnDef::new(P::Kind).string_len(40).not_null())
                .col(ColumnDef::new(P::Channel).string_len(16).not_null())
                .col(ColumnDef::new(P::Enabled).boolean().not_null())
                .col(timestamp(P::UpdatedAt))
                .primary_key(Index::create().col(P::Subject).col(P::Kind).col(P::Channel))
                .to_owned(),
        )
        .await?;

        use PushDevices as Dv;
        m.create_table(
            Table::create()
                .table(Dv::Table)
                .col(ColumnDef::new(Dv::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Dv::UserId).uuid().not_null())
                .col(ColumnDef::new(Dv::Token).string_len(4096).not_null())
                .col(ColumnDef::new(Dv::Platform).string_len(16).not_null())
                .col(timestamp(Dv::CreatedAt))
                .col(timestamp(Dv::LastSeenAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_push_devices_user")
                        .from(Dv::Table, Dv::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // A token is one device: registering it again moves it to the caller.
        m.create_index(
            Index::create()
                .name("ux_push_devices_token")
                .table(Dv::Table)
                .col(Dv::Token)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_push_devices_user")
                .table(Dv::Table)
                .col(Dv::UserId)
                .to_owned(),
        )
        .await?;

        // One row per day an alert went out: the primary key is what keeps
        // it to one a day, however many instances run the watchdog.
        m.create_table(
            Table::create()
                .table(NotificationAlerts::Table)
                .col(
                    ColumnDef::new(NotificationAlerts::Day)
                        .date()
                        .not_null()
                        .primary_key(),
                )
                .col(timestamp(NotificationAlerts::SentAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(NotificationAlerts::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(PushDevices::Table).to_owned())
            .await?;
        m.drop_table(
            Table::drop()
                .table(NotificationPreferences::Table)
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(NotificationDeliveries::Table)
                .to_owned(),
        )
        .await
    }
}
