//! `notification_alerts`: the days a delivery-failures alert went out.

use sea_orm::entity::prelude::*;

/// An alert day.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_alerts")]
pub struct Model {
    /// The UTC day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    /// When it was queued.
    pub sent_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
