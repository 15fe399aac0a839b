//! `availability_rules`: weekly working hours in the professional's zone.

use sea_orm::entity::prelude::*;

use crate::ids::ProfessionalId;

/// One interval of one weekday.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "availability_rules")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose.
    pub professional_id: ProfessionalId,
    /// ISO weekday, 1 = Monday.
    pub weekday: i16,
    /// Minutes after local midnight.
    pub start_minute: i32,
    /// Minutes after local midnight (1440 = end of day).
    pub end_minute: i32,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
