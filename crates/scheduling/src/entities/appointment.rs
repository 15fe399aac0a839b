//! `appointments`.

use sea_orm::entity::prelude::*;

use crate::{
    ids::{AppointmentId, ClientId, ProfessionalId, ServiceId},
    status::AppointmentStatus,
};

/// An appointment.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AppointmentId,
    /// With whom.
    pub professional_id: ProfessionalId,
    /// What.
    pub service_id: ServiceId,
    /// For whom.
    pub client_id: ClientId,
    /// Starts.
    pub start_at: DateTimeUtc,
    /// Ends.
    pub end_at: DateTimeUtc,
    /// Start of the time held, buffer before included.
    pub block_start: DateTimeUtc,
    /// End of the time held, buffer after included.
    pub block_end: DateTimeUtc,
    /// Where it stands.
    pub status: AppointmentStatus,
    /// Price when booked, in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Client's notes.
    pub notes: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The appointment this one replaced.
    pub rescheduled_from: Option<AppointmentId>,
    /// The recurring schedule that created it.
    pub recurring_schedule_id: Option<crate::ids::RecurringId>,
    /// When the reminder went out.
    pub reminder_sent_at: Option<DateTimeUtc>,
    /// The start's date in the professional's zone when booked (revenue by day).
    pub local_date: Option<Date>,
    /// Booked.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
