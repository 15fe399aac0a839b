//! Scheduling: professionals, services, availability, clients, bookings,
//! appointments, recurring schedules, follows and reviews.

pub mod appointments;
pub mod booking;
pub mod clients;
pub mod professionals;
pub mod recurring;
pub mod social;

/// Scheduling operations on the public listener.
pub type Public = (
    professionals::ProfessionalsApi,
    clients::ClientsApi,
    booking::BookingApi,
    appointments::AppointmentsApi,
    social::SocialApi,
    recurring::RecurringApi,
);

/// Scheduling operations on the internal listener.
pub type Internal = ();
