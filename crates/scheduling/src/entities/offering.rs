//! `services`: what a professional offers, with its booking rules.

use sea_orm::entity::prelude::*;

use crate::ids::{ProfessionalId, ServiceId};

/// A service.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ServiceId,
    /// Whose.
    pub professional_id: ProfessionalId,
    /// Name.
    pub name: String,
    /// Length.
    pub duration_minutes: i32,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Kept free before.
    pub buffer_before_minutes: i32,
    /// Kept free after.
    pub buffer_after_minutes: i32,
    /// Earliest booking, from now.
    pub min_notice_minutes: i32,
    /// Latest booking, from now.
    pub max_advance_days: i32,
    /// Step between offered start times.
    pub slot_increment_minutes: i32,
    /// Bookings start `pending` instead of `confirmed`.
    pub requires_confirmation: bool,
    /// Clients may cancel until this long before the start.
    pub cancellation_notice_minutes: i32,
    /// Offered for booking.
    pub active: bool,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
