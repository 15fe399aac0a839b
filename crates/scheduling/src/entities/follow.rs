//! `follows`: users following professionals.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::ProfessionalId;

/// A follow.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "follows")]
pub struct Model {
    /// Who follows.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// Whom.
    #[sea_orm(primary_key, auto_increment = false)]
    pub professional_id: ProfessionalId,
    /// Since.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
