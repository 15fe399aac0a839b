//! `professionals`: a user's public, bookable profile.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::ids::ProfessionalId;

/// A professional.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "professionals")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ProfessionalId,
    /// The user who runs it (one profile per user).
    pub user_id: UserId,
    /// The organization it belongs to (plans apply per organization).
    pub org_id: OrgId,
    /// Public handle in booking links.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About.
    pub bio: Option<String>,
    /// IANA zone of the availability rules.
    pub time_zone: String,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed (also touched to serialize bookings).
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
