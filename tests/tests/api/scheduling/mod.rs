//! Professionals, availability, bookings, appointments and jobs.

pub(crate) mod booking;
mod boundary;
