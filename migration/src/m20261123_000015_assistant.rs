//! The assistant's conversations, their messages and the tokens each
//! response used.
//!
//! A conversation belongs to an account (the professional who asked) and
//! goes with it. Messages are stored as the provider reads them (`payload`,
//! JSON) beside the text people read (`content`), in `position` order,
//! unique per conversation. Usage rows outlive their conversation (its id
//! is set null), so monthly totals never shrink; `month` (`YYYY-MM`, UTC)
//! is what they are summed by on both databases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AssistantConversations {
    Table,
    Id,
    UserId,
    Title,
    Pending,
    Turns,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssistantMessages {
    Table,
    Id,
    ConversationId,
    Position,
    Role,
    Content,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssistantUsage {
    Table,
    Id,
    UserId,
    ConversationId,
    Month,
    Model,
    PromptTokens,
    CompletionTokens,
    TotalTokens,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

fn instant<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn tokens<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AssistantConversations::Table)
                .col(
                    ColumnDef::new(AssistantConversations::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AssistantConversations::UserId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssistantConversations::Title)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssistantConversations::Pending)
                        .text()
                        .null(),
                )
                .col(
                    ColumnDef::new(AssistantConversations::Turns)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(instant(AssistantConversations::CreatedAt))
                .col(instant(AssistantConversations::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assistant_conversations_user")
                        .from(
                            AssistantConversations::Table,
                            AssistantConversations::UserId,
                        )
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // A person's conversations, newest first.
        m.create_index(
            Index::create()
                .name("ix_assistant_conversations_user")
                .table(AssistantConversations::Table)
                .col(AssistantConversations::UserId)
                .col(AssistantConversations::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AssistantMessages::Table)
                .col(
                    ColumnDef::new(AssistantMessages::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AssistantMessages::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssistantMessages::Position)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssistantMessages::Role)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(AssistantMessages::Content).text().null())
                .col(ColumnDef::new(AssistantMessages::Payload).text().not_null())
                .col(instant(AssistantMessages::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assistant_messages_conversation")
                        .from(AssistantMessages::Table, AssistantMessages::ConversationId)
                        .to(AssistantConversations::Table, AssistantConversations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_assistant_messages_position")
                .table(AssistantMessages::Table)
                .col(AssistantMessages::ConversationId)
                .col(AssistantMessages::Position)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AssistantUsage::Table)
                .col(
                    ColumnDef::new(AssistantUsage::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AssistantUsage::UserId).uuid().not_null())
                .col(ColumnDef::new(AssistantUsage::ConversationId).uuid().null())
                .col(
                    ColumnDef::new(AssistantUsage::Month)
                        .string_len(7)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AssistantUsage::Model)
                        .string_len(200)
                        .not_null(),
                )
                .col(tokens(AssistantUsage::PromptTokens))
                .col(tokens(AssistantUsage::CompletionTokens))
                .col(tokens(AssistantUsage::TotalTokens))
                .col(instant(AssistantUsage::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assistant_usage_user")
                        .from(AssistantUsage::Table, AssistantUsage::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assistant_usage_conversation")
                        .from(AssistantUsage::Table, AssistantUsage::ConversationId)
                        .to(AssistantConversations::Table, AssistantConversations::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // Monthly sums per person.
        m.create_index(
            Index::create()
                .name("ix_assistant_usage_user_month")
                .table(AssistantUsage::Table)
                .col(AssistantUsage::UserId)
                .col(AssistantUsage::Month)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AssistantUsage::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AssistantMessages::Table).to_owned())
            .await?;
        m.drop_table(
            Table::drop()
                .table(AssistantConversations::Table)
                .to_owned(),
        )
        .await
    }
}
