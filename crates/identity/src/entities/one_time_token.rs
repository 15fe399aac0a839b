//! `one_time_tokens`: email verification and password reset links, hashed.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

/// A single-use token.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "one_time_tokens")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// For whom.
    pub user_id: UserId,
    /// `verify_email` or `password_reset`.
    pub purpose: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Issued.
    pub created_at: DateTimeUtc,
    /// Dies.
    pub expires_at: DateTimeUtc,
    /// Spent.
    pub used_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
