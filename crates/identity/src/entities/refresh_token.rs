//! `refresh_tokens`: the members of a session's token family, stored hashed.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::SessionId;

/// A refresh token (its SHA-256, never the token).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The family.
    pub session_id: SessionId,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Issued.
    pub created_at: DateTimeUtc,
    /// Dies.
    pub expires_at: DateTimeUtc,
    /// Exchanged for a successor; presenting it again after the grace window
    /// revokes the family.
    pub rotated_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
