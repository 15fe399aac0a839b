//! `time_off`: periods the professional is away (date overrides).

use sea_orm::entity::prelude::*;

use crate::ids::{ProfessionalId, TimeOffId};

/// A period off.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_off")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: TimeOffId,
    /// Whose.
    pub professional_id: ProfessionalId,
    /// Starts.
    pub start_at: DateTimeUtc,
    /// Ends.
    pub end_at: DateTimeUtc,
    /// Why.
    pub reason: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
