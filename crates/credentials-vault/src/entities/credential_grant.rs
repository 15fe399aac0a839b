//! `credential_grants`: members allowed to reveal a credential.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::ids::CredentialId;

/// A member's grant on a credential.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credential_grants")]
pub struct Model {
    /// The credential.
    #[sea_orm(primary_key, auto_increment = false)]
    pub credential_id: CredentialId,
    /// Who may reveal it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// Whose.
    pub org_id: OrgId,
    /// The admin who granted it.
    pub granted_by: UserId,
    /// When.
    pub granted_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
