//! Every schema migration of Trellis, in order.
//!
//! One file per migration, named `mYYYYMMDD_NNNNNN_<domain>_<what>.rs`. A
//! migration declares its own identifiers (`DeriveIden` enums) and never
//! imports a live entity, so it keeps meaning what it meant when it was
//! written. Every migration runs on SQLite and PostgreSQL and has a working
//! `down`.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_kernel_foundation;
mod m20261122_000002_identity_accounts;
mod m20261122_000003_scheduling_core;
mod m20261122_000004_scheduling_social;
mod m20261122_000005_scheduling_recurring;
mod m20261122_000006_messaging_chat;
mod m20261122_000007_messaging_files;
mod m20261122_000008_messaging_notifications;
mod m20261122_000009_time_tracking;
mod m20261122_000010_time_imports;
mod m20261123_000011_credentials_vault;
mod m20261123_000012_time_summary_index;
mod m20261123_000013_billing_subscriptions;
mod m20261123_000014_billing_invoices;
mod m20261123_000015_assistant;

/// The ordered list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_kernel_foundation::Migration),
            Box::new(m20261122_000002_identity_accounts::Migration),
            Box::new(m20261122_000003_scheduling_core::Migration),
            Box::new(m20261122_000004_scheduling_social::Migration),
            Box::new(m20261122_000005_scheduling_recurring::Migration),
            Box::new(m20261122_000006_messaging_chat::Migration),
            Box::new(m20261122_000007_messaging_files::Migration),
            Box::new(m20261122_000008_messaging_notifications::Migration),
            Box::new(m20261122_000009_time_tracking::Migration),
            Box::new(m20261122_000010_time_imports::Migration),
            Box::new(m20261123_000011_credentials_vault::Migration),
            Box::new(m20261123_000012_time_summary_index::Migration),
            Box::new(m20261123_000013_billing_subscriptions::Migration),
            Box::new(m20261123_000014_billing_invoices::Migration),
            Box::new(m20261123_000015_assistant::Migration),
        ]
    }
}
