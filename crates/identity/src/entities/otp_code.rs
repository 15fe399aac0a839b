//! `otp_codes`: phone sign-in codes, hashed.

use sea_orm::entity::prelude::*;

/// A code sent to a phone.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "otp_codes")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// E.164 number.
    pub phone: String,
    /// Hex SHA-256 of phone and code.
    pub code_hash: String,
    /// Sent.
    pub created_at: DateTimeUtc,
    /// Dies.
    pub expires_at: DateTimeUtc,
    /// Wrong guesses so far.
    pub attempts: i32,
    /// Used to sign in.
    pub consumed_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
