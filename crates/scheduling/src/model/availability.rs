//! Working hours, time off, and the free slots they leave.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{Timestamp, types::LocalTime};
use validator::Validate;

use crate::ids::TimeOffId;

/// One weekly working interval, in the professional's zone.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct AvailabilityRule {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Local start, `HH:MM`.
    pub start: LocalTime,
    /// Local end, `HH:MM` (`24:00` for midnight).
    pub end: LocalTime,
}

/// The weekly working hours, replaced as a whole.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Availability {
    /// The intervals; several per weekday allowed, none overlapping.
    pub rules: Vec<AvailabilityRule>,
    /// The zone they are in (the professional's; read-only).
    #[oai(read_only)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// Block a period.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateTimeOff {
    /// Starts.
    pub start_at: DateTime<Utc>,
    /// Ends (after the start, at most a year later).
    pub end_at: DateTime<Utc>,
    /// Why.
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// A period off.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct TimeOffView {
    /// The id.
    pub id: TimeOffId,
    /// Starts.
    pub start_at: Timestamp,
    /// Ends.
    pub end_at: Timestamp,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A free start time.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SlotView {
    /// Starts (UTC).
    pub start_at: Timestamp,
    /// Ends (UTC).
    pub end_at: Timestamp,
    /// Start in the requested zone, `YYYY-MM-DDTHH:MM±HH:MM`.
    pub local_start: String,
}

/// Free start times.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Slots {
    /// The zone of `local_start` and of the `from`/`to` dates.
    pub time_zone: String,
    /// In order.
    pub slots: Vec<SlotView>,
}
