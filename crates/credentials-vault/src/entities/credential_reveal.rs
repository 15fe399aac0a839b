//! `credential_reveals`: the audit trail, one row per reveal. It outlives
//! the credential (no foreign key to it).

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::ids::{CredentialId, RevealId};

/// One reveal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credential_reveals")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RevealId,
    /// Whose.
    pub org_id: OrgId,
    /// What was revealed.
    pub credential_id: CredentialId,
    /// Which version.
    pub version: i32,
    /// By whom.
    pub user_id: UserId,
    /// From where.
    pub ip: Option<String>,
    /// With what.
    pub user_agent: Option<String>,
    /// When.
    pub revealed_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
