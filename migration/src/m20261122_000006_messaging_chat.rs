//! Messaging, the chat half: rooms, members with read markers, messages.
//!
//! The history index `(room_id, created_at, id)` serves the newest-first
//! keyset pages, each room's newest message and its unread counts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatRooms {
    Table,
    Id,
    Kind,
    Name,
    OrgId,
    DirectKey,
    CreatedBy,
    LastActivityAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    RoomId,
    UserId,
    Role,
    ReadAt,
    ReadMessageId,
    JoinedAt,
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
    RoomId,
    SenderId,
    Text,
    ReplyTo,
    EditedAt,
    DeletedAt,
    CreatedAt,
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

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn instant(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChatRooms::Table)
                .col(
                    ColumnDef::new(ChatRooms::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ChatRooms::Kind).string_len(8).not_null())
                .col(ColumnDef::new(ChatRooms::Name).string_len(100).null())
                .col(ColumnDef::new(ChatRooms::OrgId).uuid().null())
                .col(ColumnDef::new(ChatRooms::DirectKey).string_len(80).null())
                .col(ColumnDef::new(ChatRooms::CreatedBy).uuid().null())
                .col(instant(ChatRooms::LastActivityAt))
                .col(instant(ChatRooms::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_chat_rooms_org",
                    (ChatRooms::Table, ChatRooms::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_chat_rooms_created_by",
                    (ChatRooms::Table, ChatRooms::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_chat_rooms_direct_key")
                .table(ChatRooms::Table)
                .col(ChatRooms::DirectKey)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatMembers::Table)
                .col(ColumnDef::new(ChatMembers::RoomId).uuid().not_null())
                .col(ColumnDef::new(ChatMembers::UserId).uuid().not_null())
                .col(ColumnDef::new(ChatMembers::Role).string_len(8).not_null())
                .col(
                    ColumnDef::new(ChatMembers::ReadAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(ChatMembers::ReadMessageId).uuid().null())
                .col(instant(ChatMembers::JoinedAt))
                .primary_key(
                    Index::create()
                        .col(ChatMembers::RoomId)
                        .col(ChatMembers::UserId),
                )
                .foreign_key(&mut fk(
                    "fk_chat_members_room",
                    (ChatMembers::Table, ChatMembers::RoomId),
                    (ChatRooms::Table, ChatRooms::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_chat_members_user",
                    (ChatMembers::Table, ChatMembers::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_chat_members_user")
                .table(ChatMembers::Table)
                .col(ChatMembers::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatMessages::Table)
                .col(
                    ColumnDef::new(ChatMessages::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ChatMessages::RoomId).uuid().not_null())
                .col(ColumnDef::new(ChatMessages::SenderId).uuid().null())
                .col(ColumnDef::new(ChatMessages::Text).text().null())
                .col(ColumnDef::new(ChatMessages::ReplyTo).uuid().null())
                .col(
                    ColumnDef::new(ChatMessages::EditedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(ChatMessages::DeletedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(instant(ChatMessages::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_chat_messages_room",
                    (ChatMessages::Table, ChatMessages::RoomId),
                    (ChatRooms::Table, ChatRooms::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_chat_messages_sender",
                    (ChatMessages::Table, ChatMessages::SenderId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_chat_messages_reply_to",
                    (ChatMessages::Table, ChatMessages::ReplyTo),
                    (ChatMessages::Table, ChatMessages::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_chat_messages_history")
                .table(ChatMessages::Table)
                .col(ChatMessages::RoomId)
                .col(ChatMessages::CreatedAt)
                .col(ChatMessages::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ChatMessages::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatMembers::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatRooms::Table).to_owned())
            .await
    }
}
