//! Messaging, files: uploaded files and the attachments of messages.
//!
//! A file belongs to its uploader (`owner_id`, kept as `NULL` once their
//! account is gone, like a message's sender) and its bytes live in the blob
//! store under `storage_key`. A message's attachments are links to files;
//! deleting a message removes its links, never a file (a file may be linked
//! from other messages, and stays its owner's).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatFiles {
    Table,
    Id,
    OwnerId,
    Name,
    ContentType,
    SizeBytes,
    StorageKey,
    Sha256,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatMessageAttachments {
    Table,
    MessageId,
    FileId,
    Position,
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChatFiles::Table)
                .col(
                    ColumnDef::new(ChatFiles::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ChatFiles::OwnerId).uuid().null())
                .col(ColumnDef::new(ChatFiles::Name).string_len(255).not_null())
                .col(
                    ColumnDef::new(ChatFiles::ContentType)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChatFiles::SizeBytes)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChatFiles::StorageKey)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(ChatFiles::Sha256).string_len(64).not_null())
                .col(
                    ColumnDef::new(ChatFiles::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_chat_files_owner")
                        .from(ChatFiles::Table, ChatFiles::OwnerId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_chat_files_owner")
                .table(ChatFiles::Table)
                .col(ChatFiles::OwnerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatMessageAttachments::Table)
                .col(
                    ColumnDef::new(ChatMessageAttachments::MessageId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChatMessageAttachments::FileId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChatMessageAttachments::Position)
                        .small_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ChatMessageAttachments::MessageId)
                        .col(ChatMessageAttachments::FileId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_chat_message_attachments_message")
                        .from(
                            ChatMessageAttachments::Table,
                            ChatMessageAttachments::MessageId,
                        )
                        .to(ChatMessages::Table, ChatMessages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    // A linked file cannot go: its rows are removed only once
                    // no message links it.
                    ForeignKey::create()
                        .name("fk_chat_message_attachments_file")
                        .from(
                            ChatMessageAttachments::Table,
                            ChatMessageAttachments::FileId,
                        )
                        .to(ChatFiles::Table, ChatFiles::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // Who may download a file: the rooms of the messages linking it.
        m.create_index(
            Index::create()
                .name("ix_chat_message_attachments_file")
                .table(ChatMessageAttachments::Table)
                .col(ChatMessageAttachments::FileId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(ChatMessageAttachments::Table)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(ChatFiles::Table).to_owned())
            .await
    }
}
