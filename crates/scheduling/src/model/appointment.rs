//! Appointments: public bookings, the professional's own, and their changes.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{
    Timestamp,
    types::{Email, Phone},
};
use validator::Validate;

use crate::{
    ids::{AppointmentId, ClientId, ServiceId},
    status::AppointmentStatus,
};

/// Who is booking.
#[derive(Debug, Clone, Object, Validate)]
pub struct BookingClient {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// International phone; phone or email is required.
    pub phone: Option<Phone>,
    /// Email; phone or email is required.
    pub email: Option<Email>,
}

/// A public booking.
#[derive(Debug, Clone, Object, Validate)]
pub struct BookingCommand {
    /// The service.
    pub service_id: ServiceId,
    /// A start time from the slots list.
    pub start_at: DateTime<Utc>,
    /// The client.
    #[validate(nested)]
    pub client: BookingClient,
    /// Notes for the professional.
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
}

/// An appointment the professional creates.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateAppointment {
    /// The service.
    pub service_id: ServiceId,
    /// One of the professional's clients.
    pub client_id: ClientId,
    /// Starts.
    pub start_at: DateTime<Utc>,
    /// Notes.
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
}

/// Change an appointment's status.
#[derive(Debug, Clone, Object, Validate)]
pub struct StatusCommand {
    /// `confirmed`, `completed`, `cancelled` or `no_show`.
    pub status: AppointmentStatus,
    /// Why (for cancellations).
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// Move an appointment.
#[derive(Debug, Clone, Object)]
pub struct RescheduleCommand {
    /// The new start.
    pub start_at: DateTime<Utc>,
}

/// Cancel one's own appointment.
#[derive(Debug, Clone, Default, Object, Validate)]
pub struct CancelCommand {
    /// Why.
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// An appointment.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct AppointmentView {
    /// The id.
    pub id: AppointmentId,
    /// Where it stands.
    pub status: AppointmentStatus,
    /// Starts.
    pub start_at: Timestamp,
    /// Ends.
    pub end_at: Timestamp,
    /// The service.
    pub service_id: ServiceId,
    /// The client.
    pub client_id: ClientId,
    /// Price when booked, in minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Client's notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Why it was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// The appointment this one replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduled_from: Option<AppointmentId>,
    /// Booked.
    pub created_at: Timestamp,
}
