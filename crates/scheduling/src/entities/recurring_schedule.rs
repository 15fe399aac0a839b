//! `recurring_schedules`: "every other Tuesday at 10:00 for Ana".

use sea_orm::entity::prelude::*;

use crate::ids::{ClientId, ProfessionalId, RecurringId, ServiceId};

/// A recurring schedule.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recurring_schedules")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RecurringId,
    /// Whose.
    pub professional_id: ProfessionalId,
    /// For whom.
    pub client_id: ClientId,
    /// What.
    pub service_id: ServiceId,
    /// ISO weekday.
    pub weekday: i16,
    /// Local start, minutes after midnight.
    pub local_minute: i32,
    /// 1 = weekly, 2 = every other week...
    pub interval_weeks: i32,
    /// First possible date.
    pub starts_on: Date,
    /// Last possible date.
    pub until: Option<Date>,
    /// How many occurrences in all.
    pub occurrences: Option<i32>,
    /// Occurrences already materialized (or skipped for a conflict).
    pub next_index: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Deleted (future appointments were cancelled).
    pub cancelled_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
