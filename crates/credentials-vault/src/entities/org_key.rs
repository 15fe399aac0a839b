//! `vault_org_keys`: each organization's data key, wrapped by a master key.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

/// An organization's wrapped data key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vault_org_keys")]
pub struct Model {
    /// Whose key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    /// The id of the master key it is wrapped under.
    pub master_key_id: String,
    /// `nonce ‖ ciphertext ‖ tag` of the data key.
    pub wrapped_key: Vec<u8>,
    /// Made.
    pub created_at: DateTimeUtc,
    /// Last re-wrapped under another master key.
    pub rewrapped_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
