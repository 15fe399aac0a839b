//! Recurring schedules and what materializing them created.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{Timestamp, types::LocalTime};
use validator::Validate;

use super::AppointmentView;
use crate::ids::{ClientId, ServiceId};

/// Repeat an appointment weekly or every N weeks.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateRecurringSchedule {
    /// One of the professional's clients.
    pub client_id: ClientId,
    /// The service.
    pub service_id: ServiceId,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    #[validate(range(min = 1, max = 7))]
    pub weekday: u8,
    /// Local start, `HH:MM`, in the professional's zone.
    pub time: LocalTime,
    /// 1 = weekly (default), 2 = every other week, up to 12.
    #[validate(range(min = 1, max = 12))]
    pub interval_weeks: Option<u32>,
    /// First possible date.
    pub starts_on: chrono::NaiveDate,
    /// Last possible date (or use `count`).
    pub until: Option<chrono::NaiveDate>,
    /// How many occurrences in all, up to 520.
    #[validate(range(min = 1, max = 520))]
    pub count: Option<u32>,
}

/// A recurring schedule.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringView {
    /// The id.
    pub id: crate::ids::RecurringId,
    /// The client.
    pub client_id: ClientId,
    /// The service.
    pub service_id: ServiceId,
    /// ISO weekday.
    pub weekday: u8,
    /// Local start, `HH:MM`.
    pub time: String,
    /// Weeks between occurrences.
    pub interval_weeks: u32,
    /// First possible date.
    pub starts_on: chrono::NaiveDate,
    /// Last possible date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::NaiveDate>,
    /// Occurrences in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Created.
    pub created_at: Timestamp,
}

/// An occurrence that could not be booked.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringConflict {
    /// When it would have started.
    pub start_at: Timestamp,
    /// The stable code of the reason (`appointment.slot_taken`).
    pub code: String,
}

/// What materializing created and skipped.
#[derive(Debug, Clone, Default, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Materialized {
    /// Appointments created.
    pub created: Vec<AppointmentView>,
    /// Occurrences skipped, with why.
    pub conflicts: Vec<RecurringConflict>,
}

/// A new recurring schedule and its first appointments.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringCreated {
    /// The schedule.
    pub schedule: RecurringView,
    /// Appointments created up to the horizon, and conflicts skipped.
    pub materialized: Materialized,
}
