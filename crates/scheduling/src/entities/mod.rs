//! SeaORM entities, one per table.

pub mod appointment;
pub mod availability_rule;
pub mod client;
pub mod client_note;
pub mod follow;
pub mod offering;
pub mod professional;
pub mod recurring_schedule;
pub mod review;
pub mod time_off;
