//! Professionals, availability, bookings, appointments and jobs.

mod booking;
mod boundary;
