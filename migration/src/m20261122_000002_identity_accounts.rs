//! Identity: users, sessions with refresh-token families, one-time tokens,
//! phone codes, organizations and memberships.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailVerifiedAt,
    PasswordHash,
    Name,
    Phone,
    VerifiedPhone,
    Locale,
    TimeZone,
    Roles,
    IsAnonymous,
    DeactivatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
    UserAgent,
    Ip,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OtpCodes {
    Table,
    Id,
    Phone,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Attempts,
    ConsumedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    OrgId,
    UserId,
    Role,
    CreatedAt,
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

fn fk(
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
                .table(Users::Table)
                .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Users::Email).string_len(254).null())
                .col(ts_null(Users::EmailVerifiedAt))
                .col(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                .col(ColumnDef::new(Users::Name).string_len(200).null())
                .col(ColumnDef::new(Users::Phone).string_len(16).null())
                .col(ColumnDef::new(Users::VerifiedPhone).string_len(16).null())
                .col(ColumnDef::new(Users::Locale).string_len(35).null())
                .col(ColumnDef::new(Users::TimeZone).string_len(64).null())
                .col(ColumnDef::new(Users::Roles).json().not_null())
                .col(
                    ColumnDef::new(Users::IsAnonymous)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ts_null(Users::DeactivatedAt))
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_users_email")
                .table(Users::Table)
                .col(Users::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_users_verified_phone")
                .table(Users::Table)
                .col(Users::VerifiedPhone)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(ColumnDef::new(Sessions::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                .col(ts(Sessions::CreatedAt))
                .col(ts(Sessions::LastUsedAt))
                .col(ts(Sessions::ExpiresAt))
                .col(ts_null(Sessions::RevokedAt))
                .col(
                    ColumnDef::new(Sessions::RevokedReason)
                        .string_len(32)
                        .null(),
                )
                .col(ColumnDef::new(Sessions::UserAgent).string_len(512).null())
                .col(ColumnDef::new(Sessions::Ip).string_len(45).null())
                .foreign_key(&mut fk(
                    "fk_sessions_user",
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_user")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_revoked_at")
                .table(Sessions::Table)
                .col(Sessions::RevokedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(
                    ColumnDef::new(RefreshTokens::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RefreshTokens::SessionId).uuid().not_null())
                .col(
                    ColumnDef::new(RefreshTokens::TokenHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ts(RefreshTokens::CreatedAt))
                .col(ts(RefreshTokens::ExpiresAt))
                .col(ts_null(RefreshTokens::RotatedAt))
                .foreign_key(&mut fk(
                    "fk_refresh_tokens_session",
                    (RefreshTokens::Table, RefreshTokens::SessionId),
                    (Sessions::Table, Sessions::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_refresh_tokens_hash")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refresh_tokens_session")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::SessionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OneTimeTokens::Table)
                .col(
                    ColumnDef::new(OneTimeTokens::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(OneTimeTokens::UserId).uuid().not_null())
                .col(
                    ColumnDef::new(OneTimeTokens::Purpose)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OneTimeTokens::TokenHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ts(OneTimeTokens::CreatedAt))
                .col(ts(OneTimeTokens::ExpiresAt))
                .col(ts_null(OneTimeTokens::UsedAt))
                .foreign_key(&mut fk(
                    "fk_one_time_tokens_user",
                    (OneTimeTokens::Table, OneTimeTokens::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_one_time_tokens_hash")
                .table(OneTimeTokens::Table)
                .col(OneTimeTokens::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_one_time_tokens_user")
                .table(OneTimeTokens::Table)
                .col(OneTimeTokens::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OtpCodes::Table)
                .col(ColumnDef::new(OtpCodes::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(OtpCodes::Phone).string_len(16).not_null())
                .col(ColumnDef::new(OtpCodes::CodeHash).string_len(64).not_null())
                .col(ts(OtpCodes::CreatedAt))
                .col(ts(OtpCodes::ExpiresAt))
                .col(
                    ColumnDef::new(OtpCodes::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts_null(OtpCodes::ConsumedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_otp_codes_phone_created")
                .table(OtpCodes::Table)
                .col(OtpCodes::Phone)
                .col(OtpCodes::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Organizations::Table)
                .col(
                    ColumnDef::new(Organizations::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Organizations::Name)
                        .string_len(200)
                        .not_null(),
                )
                .col(ts(Organizations::CreatedAt))
                .col(ts(Organizations::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(ColumnDef::new(Memberships::OrgId).uuid().not_null())
                .col(ColumnDef::new(Memberships::UserId).uuid().not_null())
                .col(ColumnDef::new(Memberships::Role).string_len(16).not_null())
                .col(ts(Memberships::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Memberships::OrgId)
                        .col(Memberships::UserId),
                )
                .foreign_key(&mut fk(
                    "fk_memberships_org",
                    (Memberships::Table, Memberships::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_memberships_user",
                    (Memberships::Table, Memberships::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_memberships_user")
                .table(Memberships::Table)
                .col(Memberships::UserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Memberships::Table.into_iden(),
            Organizations::Table.into_iden(),
            OtpCodes::Table.into_iden(),
            OneTimeTokens::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
