//! Billing: the invoices an organization sends its agency clients, their
//! lines, and one number counter per organization and year.
//!
//! `invoice_counters` holds the last number used per (organization, year
//! of issue); an invoice takes the next one with an upsert in its own
//! transaction, so a rolled-back creation leaves no gap, and
//! `ux_invoices_org_number` makes a duplicate impossible whatever the
//! application does. An invoice's client is time tracking's
//! `agency_clients` row (`NO ACTION`: a client with invoices cannot be
//! deleted, while deleting the organization still cascades everywhere).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Invoices {
    Table,
    Id,
    OrgId,
    ClientId,
    Number,
    Year,
    Seq,
    Status,
    Currency,
    IssueDate,
    DueDate,
    TaxBp,
    SubtotalMinor,
    TaxMinor,
    TotalMinor,
    Notes,
    BillToName,
    BillToEmail,
    BillToAddress,
    PeriodFrom,
    PeriodTo,
    SentAt,
    OverdueAt,
    PaidAt,
    VoidedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoiceItems {
    Table,
    Id,
    InvoiceId,
    OrgId,
    Position,
    Description,
    QuantityMilli,
    UnitPriceMinor,
    AmountMinor,
    ProjectId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvoiceCounters {
    Table,
    OrgId,
    Year,
    Last,
}

#[derive(DeriveIden, Clone, Copy)]
enum AgencyClients {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
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

fn maybe_instant(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn money(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InvoiceCounters::Table)
                .col(ColumnDef::new(InvoiceCounters::OrgId).uuid().not_null())
                .col(ColumnDef::new(InvoiceCounters::Year).integer().not_null())
                .col(ColumnDef::new(InvoiceCounters::Last).integer().not_null())
                .primary_key(
                    Index::create()
                        .col(InvoiceCounters::OrgId)
                        .col(InvoiceCounters::Year),
                )
                .foreign_key(&mut fk(
                    "fk_invoice_counters_org",
                    (InvoiceCounters::Table, InvoiceCounters::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Invoices::Table)
                .col(ColumnDef::new(Invoices::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Invoices::OrgId).uuid().not_null())
                .col(ColumnDef::new(Invoices::ClientId).uuid().not_null())
                .col(ColumnDef::new(Invoices::Number).string_len(32).not_null())
                .col(ColumnDef::new(Invoices::Year).integer().not_null())
                .col(ColumnDef::new(Invoices::Seq).integer().not_null())
                .col(ColumnDef::new(Invoices::Status).string_len(16).not_null())
                .col(ColumnDef::new(Invoices::Currency).string_len(3).not_null())
                .col(ColumnDef::new(Invoices::IssueDate).date().not_null())
                .col(ColumnDef::new(Invoices::DueDate).date().not_null())
                .col(ColumnDef::new(Invoices::TaxBp).integer().not_null())
                .col(money(Invoices::SubtotalMinor))
                .col(money(Invoices::TaxMinor))
                .col(money(Invoices::TotalMinor))
                .col(ColumnDef::new(Invoices::Notes).text().null())
                .col(
                    ColumnDef::new(Invoices::BillToName)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(Invoices::BillToEmail).string_len(254).null())
                .col(ColumnDef::new(Invoices::BillToAddress).text().null())
                .col(ColumnDef::new(Invoices::PeriodFrom).date().null())
                .col(ColumnDef::new(Invoices::PeriodTo).date().null())
                .col(maybe_instant(Invoices::SentAt))
                .col(maybe_instant(Invoices::OverdueAt))
                .col(maybe_instant(Invoices::PaidAt))
                .col(maybe_instant(Invoices::VoidedAt))
                .col(ColumnDef::new(Invoices::CreatedBy).uuid().null())
                .col(instant(Invoices::CreatedAt))
                .col(instant(Invoices::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_invoices_org",
                    (Invoices::Table, Invoices::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_invoices_client",
                    (Invoices::Table, Invoices::ClientId),
                    (AgencyClients::Table, AgencyClients::Id),
                    ForeignKeyAction::NoAction,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_invoices_org_number")
                .table(Invoices::Table)
                .col(Invoices::OrgId)
                .col(Invoices::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invoices_org_id")
                .table(Invoices::Table)
                .col(Invoices::OrgId)
                .col(Invoices::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invoices_client")
                .table(Invoices::Table)
                .col(Invoices::ClientId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invoices_status_due")
                .table(Invoices::Table)
                .col(Invoices::Status)
                .col(Invoices::DueDate)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InvoiceItems::Table)
                .col(
                    ColumnDef::new(InvoiceItems::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(InvoiceItems::InvoiceId).uuid().not_null())
                .col(ColumnDef::new(InvoiceItems::OrgId).uuid().not_null())
                .col(ColumnDef::new(InvoiceItems::Position).integer().not_null())
                .col(
                    ColumnDef::new(InvoiceItems::Description)
                        .string_len(500)
                        .not_null(),
                )
                .col(money(InvoiceItems::QuantityMilli))
                .col(money(InvoiceItems::UnitPriceMinor))
                .col(money(InvoiceItems::AmountMinor))
                .col(ColumnDef::new(InvoiceItems::ProjectId).uuid().null())
                .col(instant(InvoiceItems::CreatedAt))
                .col(instant(InvoiceItems::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_invoice_items_invoice",
                    (InvoiceItems::Table, InvoiceItems::InvoiceId),
                    (Invoices::Table, Invoices::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_invoice_items_org",
                    (InvoiceItems::Table, InvoiceItems::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invoice_items_invoice")
                .table(InvoiceItems::Table)
                .col(InvoiceItems::InvoiceId)
                .col(InvoiceItems::Position)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(InvoiceItems::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Invoices::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(InvoiceCounters::Table).to_owned())
            .await?;
        Ok(())
    }
}
