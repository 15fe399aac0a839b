//! The credentials vault: each organization's wrapped data key, its
//! credentials (metadata only), every version of their encrypted secret,
//! members' grants to reveal them and the reveal audit trail.
//!
//! No column holds a secret in the clear: `wrapped_key`, `secret_ciphertext`
//! and `notes_ciphertext` are AES-256-GCM `nonce ‖ ciphertext ‖ tag` bytes.
//!
//! A credential may point at time tracking's `agency_clients` and
//! `projects`; deleting one of those unlinks it (`SET NULL`). The audit
//! trail has no foreign key to the credential or the person, so it outlives
//! both; the organization's deletion takes everything with it. Who did
//! something (`created_by`, `granted_by`, `user_id` of a reveal) is kept as
//! a fact, without a foreign key.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum VaultOrgKeys {
    Table,
    OrgId,
    MasterKeyId,
    WrappedKey,
    CreatedAt,
    RewrappedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Credentials {
    Table,
    Id,
    OrgId,
    ClientId,
    ProjectId,
    Name,
    Kind,
    Username,
    Url,
    Tags,
    CurrentVersion,
    RotateAfterDays,
    LastRotatedAt,
    RotationDueAt,
    LastRevealedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CredentialVersions {
    Table,
    CredentialId,
    Version,
    OrgId,
    SecretCiphertext,
    NotesCiphertext,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CredentialGrants {
    Table,
    CredentialId,
    UserId,
    OrgId,
    GrantedBy,
    GrantedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CredentialReveals {
    Table,
    Id,
    OrgId,
    CredentialId,
    Version,
    UserId,
    Ip,
    UserAgent,
    RevealedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AgencyClients {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Projects {
    Table,
    Id,
}

fn instant<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn org_fk<T: IntoIden + Copy>(name: &str, table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Organizations::Table, Organizations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(VaultOrgKeys::Table)
                .col(
                    ColumnDef::new(VaultOrgKeys::OrgId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(VaultOrgKeys::MasterKeyId)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(VaultOrgKeys::WrappedKey).blob().not_null())
                .col(instant(VaultOrgKeys::CreatedAt))
                .col(
                    ColumnDef::new(VaultOrgKeys::RewrappedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut org_fk(
                    "fk_vault_org_keys_org",
                    VaultOrgKeys::Table,
                    VaultOrgKeys::OrgId,
                ))
                .to_owned(),
        )
        .await?;
        // Rotation finds the keys still under an old master key.
        m.create_index(
            Index::create()
                .name("ix_vault_org_keys_master")
                .table(VaultOrgKeys::Table)
                .col(VaultOrgKeys::MasterKeyId)
                .col(VaultOrgKeys::OrgId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Credentials::Table)
                .col(
                    ColumnDef::new(Credentials::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Credentials::OrgId).uuid().not_null())
                .col(ColumnDef::new(Credentials::ClientId).uuid().null())
                .col(ColumnDef::new(Credentials::ProjectId).uuid().null())
                .col(ColumnDef::new(Credentials::Name).string_len(200).not_null())
                .col(ColumnDef::new(Credentials::Kind).string_len(16).not_null())
                .col(ColumnDef::new(Credentials::Username).string_len(200).null())
                .col(ColumnDef::new(Credentials::Url).text().null())
                .col(ColumnDef::new(Credentials::Tags).text().not_null())
                .col(
                    ColumnDef::new(Credentials::CurrentVersion)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Credentials::RotateAfterDays)
                        .integer()
                        .null(),
                )
                .col(instant(Credentials::LastRotatedAt))
                .col(
                    ColumnDef::new(Credentials::RotationDueAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(Credentials::LastRevealedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Credentials::CreatedBy).uuid().not_null())
                .col(instant(Credentials::CreatedAt))
                .col(instant(Credentials::UpdatedAt))
                .foreign_key(&mut org_fk(
                    "fk_credentials_org",
                    Credentials::Table,
                    Credentials::OrgId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_credentials_client")
                        .from(Credentials::Table, Credentials::ClientId)
                        .to(AgencyClients::Table, AgencyClients::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_credentials_project")
                        .from(Credentials::Table, Credentials::ProjectId)
                        .to(Projects::Table, Projects::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_credentials_org")
                .table(Credentials::Table)
                .col(Credentials::OrgId)
                .col(Credentials::Id)
                .to_owned(),
        )
        .await?;
        // The daily job and `?rotation_due=true`.
        m.create_index(
            Index::create()
                .name("ix_credentials_rotation_due")
                .table(Credentials::Table)
                .col(Credentials::RotationDueAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CredentialVersions::Table)
                .col(
                    ColumnDef::new(CredentialVersions::CredentialId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CredentialVersions::Version)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(CredentialVersions::OrgId).uuid().not_null())
                .col(
                    ColumnDef::new(CredentialVersions::SecretCiphertext)
                        .blob()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CredentialVersions::NotesCiphertext)
                        .blob()
                        .null(),
                )
                .col(
                    ColumnDef::new(CredentialVersions::CreatedBy)
                        .uuid()
                        .not_null(),
                )
                .col(instant(CredentialVersions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(CredentialVersions::CredentialId)
                        .col(CredentialVersions::Version),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_credential_versions_credential")
                        .from(CredentialVersions::Table, CredentialVersions::CredentialId)
                        .to(Credentials::Table, Credentials::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CredentialGrants::Table)
                .col(
                    ColumnDef::new(CredentialGrants::CredentialId)
                        .uuid()
                        .not_null(),
                )
                .col(ColumnDef::new(CredentialGrants::UserId).uuid().not_null())
                .col(ColumnDef::new(CredentialGrants::OrgId).uuid().not_null())
                .col(
                    ColumnDef::new(CredentialGrants::GrantedBy)
                        .uuid()
                        .not_null(),
                )
                .col(instant(CredentialGrants::GrantedAt))
                .primary_key(
                    Index::create()
                        .col(CredentialGrants::CredentialId)
                        .col(CredentialGrants::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_credential_grants_credential")
                        .from(CredentialGrants::Table, CredentialGrants::CredentialId)
                        .to(Credentials::Table, Credentials::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_credential_grants_user")
                        .from(CredentialGrants::Table, CredentialGrants::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CredentialReveals::Table)
                .col(
                    ColumnDef::new(CredentialReveals::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(CredentialReveals::OrgId).uuid().not_null())
                .col(
                    ColumnDef::new(CredentialReveals::CredentialId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CredentialReveals::Version)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(CredentialReveals::UserId).uuid().not_null())
                .col(ColumnDef::new(CredentialReveals::Ip).string_len(64).null())
                .col(
                    ColumnDef::new(CredentialReveals::UserAgent)
                        .string_len(512)
                        .null(),
                )
                .col(instant(CredentialReveals::RevealedAt))
                .foreign_key(&mut org_fk(
                    "fk_credential_reveals_org",
                    CredentialReveals::Table,
                    CredentialReveals::OrgId,
                ))
                .to_owned(),
        )
        .await?;
        // A credential's trail, newest first (ids are UUID v7).
        m.create_index(
            Index::create()
                .name("ix_credential_reveals_credential")
                .table(CredentialReveals::Table)
                .col(CredentialReveals::CredentialId)
                .col(CredentialReveals::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CredentialReveals::Table.into_iden(),
            CredentialGrants::Table.into_iden(),
            CredentialVersions::Table.into_iden(),
            Credentials::Table.into_iden(),
            VaultOrgKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
