//! What an organization's plan allows.

use sea_orm::DbErr;

use crate::id::OrgId;

/// What an organization's plan allows (billing implements it; until then,
/// everything is unlimited).
#[async_trait::async_trait]
pub trait Entitlements: Send + Sync + 'static {
    /// The most clients a professional of `org` may keep; `None` is unlimited.
    async fn max_clients(&self, org: OrgId) -> Result<Option<u64>, DbErr>;
}

/// No limits: the default until billing wires plans.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

#[async_trait::async_trait]
impl Entitlements for Unlimited {
    async fn max_clients(&self, _org: OrgId) -> Result<Option<u64>, DbErr> {
        Ok(None)
    }
}
