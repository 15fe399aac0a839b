//! `notification_preferences`: a subject's choice for one kind on one channel.

use sea_orm::entity::prelude::*;

/// A preference (absent means the kind's default: on).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_preferences")]
pub struct Model {
    /// `user:<id>`, `email:<address>` or `phone:<e164>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// The kind's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The channel's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    /// On or off.
    pub enabled: bool,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
