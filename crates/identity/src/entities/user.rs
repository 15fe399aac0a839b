//! `users`: people, staff and anonymous users.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

/// A user account.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    /// Normalised email; `None` for anonymous and phone-only users.
    pub email: Option<String>,
    /// When the email was proven.
    pub email_verified_at: Option<DateTimeUtc>,
    /// Argon2id PHC string; `None` when the user has no password.
    pub password_hash: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Contact phone (E.164), not proven.
    pub phone: Option<String>,
    /// Phone proven by a code; signs in by OTP. Unique.
    pub verified_phone: Option<String>,
    /// Preferred locale (BCP 47).
    pub locale: Option<String>,
    /// Preferred IANA time zone.
    pub time_zone: Option<String>,
    /// Global role names (`["staff"]`).
    pub roles: Json,
    /// Created by `POST /auth/anonymous` and not upgraded yet.
    pub is_anonymous: bool,
    /// Set when staff deactivate the account.
    pub deactivated_at: Option<DateTimeUtc>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Sessions.
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    /// Memberships.
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
