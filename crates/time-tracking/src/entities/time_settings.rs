//! `time_settings`: one row per organization, created on first use.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

use crate::model::RoundingMode;

/// An organization's time-keeping rules.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_settings")]
pub struct Model {
    /// The organization.
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    /// IANA zone.
    pub time_zone: String,
    /// Whether one person's entries may overlap.
    pub allow_overlaps: bool,
    /// Entries starting before this local date are locked.
    pub lock_date: Option<Date>,
    /// Rounding direction; `NULL`: no rounding.
    pub rounding_mode: Option<RoundingMode>,
    /// Rounding grid in minutes (with `rounding_mode`).
    pub rounding_minutes: Option<i32>,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
