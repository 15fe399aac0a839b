//! Scheduling: professionals publish services and working hours, clients
//! book them, and no time is ever sold twice.
//!
//! The slot engine ([`slots`]) and the appointment state machine ([`status`])
//! are pure; the services in [`service`] add the database. Bookings of one
//! professional are serialized inside a transaction (and, on PostgreSQL,
//! guarded by an exclusion constraint), so double booking is impossible even
//! under concurrency.

pub(crate) mod entities;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod model;
pub mod notices;
pub mod recurrence;
pub mod service;
pub mod slots;
pub mod status;
pub(crate) mod view;

pub use error::{Error, Result};
pub use service::{Scheduling, SchedulingDeps};
