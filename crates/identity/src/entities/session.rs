//! `sessions`: one signed-in device; also the refresh-token family.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{SessionId, UserId};

/// A session.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// The id (the `sid` claim).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SessionId,
    /// Whose.
    pub user_id: UserId,
    /// Signed in.
    pub created_at: DateTimeUtc,
    /// Last refreshed.
    pub last_used_at: DateTimeUtc,
    /// When its newest refresh token expires.
    pub expires_at: DateTimeUtc,
    /// Ended (logout, revocation, reuse, password change, deactivation).
    pub revoked_at: Option<DateTimeUtc>,
    /// Why it ended.
    pub revoked_reason: Option<String>,
    /// The client's `User-Agent` at sign-in.
    pub user_agent: Option<String>,
    /// The client's address at sign-in.
    pub ip: Option<String>,
}

/// Relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
