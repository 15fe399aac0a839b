//! `reviews`: one per completed appointment, by its client.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::{AppointmentId, ProfessionalId};

/// A review.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Of whom.
    pub professional_id: ProfessionalId,
    /// For which appointment (unique).
    pub appointment_id: AppointmentId,
    /// By whom.
    pub user_id: UserId,
    /// 1 to 5.
    pub rating: i16,
    /// Words.
    pub text: Option<String>,
    /// Written.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
