//! `credential_versions`: every secret a credential has held, encrypted.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::ids::CredentialId;

/// One version of a credential's secret and notes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credential_versions")]
pub struct Model {
    /// The credential.
    #[sea_orm(primary_key, auto_increment = false)]
    pub credential_id: CredentialId,
    /// 1, 2, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// Whose.
    pub org_id: OrgId,
    /// `nonce ‖ ciphertext ‖ tag` of the secret, under the org's data key.
    pub secret_ciphertext: Vec<u8>,
    /// The same for the notes, when there are notes.
    pub notes_ciphertext: Option<Vec<u8>>,
    /// Who set it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
