//! How to reach the people behind accounts.

use sea_orm::{DatabaseTransaction, DbErr};

use crate::{
    id::{OrgId, UserId},
    notify::Recipient,
};

/// Looks people up for the domains that tell them things (identity
/// implements it; messaging asks it who a chat member is and who the staff
/// are; the vault, who owns an organization). Reads run on the caller's transaction, so a consumer sees the
/// accounts as its own transaction does.
#[async_trait::async_trait]
pub trait People: Send + Sync + 'static {
    /// The active accounts among `users` as recipients (name, addresses,
    /// locale, zone); deactivated and anonymous accounts are left out.
    async fn recipients(
        &self,
        db: &DatabaseTransaction,
        users: &[UserId],
    ) -> Result<Vec<Recipient>, DbErr>;

    /// The active staff, for operational alerts.
    async fn staff(&self, db: &DatabaseTransaction) -> Result<Vec<Recipient>, DbErr>;

    /// The organization's active owners (the vault's rotation reminders).
    async fn org_owners(
        &self,
        db: &DatabaseTransaction,
        org: OrgId,
    ) -> Result<Vec<Recipient>, DbErr>;
}
