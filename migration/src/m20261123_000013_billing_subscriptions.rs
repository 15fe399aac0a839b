//! Billing's subscriptions: the plan each organization is on through Stripe,
//! and the Stripe webhook events already processed.
//!
//! An organization without a row is on the free plan. `state_at` is the
//! Stripe `created` time of the newest event applied to the row, so an
//! older event delivered late never rolls the state back. A processed
//! event's row is written in the transaction of its effect: its primary key
//! makes Stripe's retries and replays harmless.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum BillingSubscriptions {
    Table,
    OrgId,
    Plan,
    Status,
    StripeCustomerId,
    StripeSubscriptionId,
    CurrentPeriodEnd,
    CancelAtPeriodEnd,
    StateAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingStripeEvents {
    Table,
    Id,
    Kind,
    OrgId,
    Outcome,
    CreatedAt,
    ReceivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizations {
    Table,
    Id,
}

fn instant<T: IntoIden>(col: T) -> ColumnDef {
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
                .table(BillingSubscriptions::Table)
                .col(
                    ColumnDef::new(BillingSubscriptions::OrgId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::Plan)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::Status)
                        .string_len(24)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::StripeCustomerId)
                        .string_len(255)
                        .null(),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::StripeSubscriptionId)
                        .string_len(255)
                        .null(),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::CurrentPeriodEnd)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::CancelAtPeriodEnd)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(BillingSubscriptions::StateAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(instant(BillingSubscriptions::CreatedAt))
                .col(instant(BillingSubscriptions::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_billing_subscriptions_org")
                        .from(BillingSubscriptions::Table, BillingSubscriptions::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Webhooks find the organization by its Stripe customer.
        m.create_index(
            Index::create()
                .name("ux_billing_subscriptions_customer")
                .table(BillingSubscriptions::Table)
                .col(BillingSubscriptions::StripeCustomerId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BillingStripeEvents::Table)
                .col(
                    ColumnDef::new(BillingStripeEvents::Id)
                        .string_len(255)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(BillingStripeEvents::Kind)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(BillingStripeEvents::OrgId).uuid().null())
                .col(
                    ColumnDef::new(BillingStripeEvents::Outcome)
                        .string_len(16)
                        .not_null(),
                )
                .col(instant(BillingStripeEvents::CreatedAt))
                .col(instant(BillingStripeEvents::ReceivedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BillingStripeEvents::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(BillingSubscriptions::Table).to_owned())
            .await
    }
}
