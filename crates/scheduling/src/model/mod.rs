//! Commands and views of the scheduling API, one file per aggregate.
//!
//! Commands carry the kernel's value types (`Slug`, `TimeZone`, `Currency`,
//! `LocalTime`, `Email`, `Phone`): they arrive parsed, and services trust them.
//!
//! An optional field of a view is omitted when it has no value, never sent
//! as `null`: every view is marked `#[oai(skip_serializing_if_is_none)]`
//! (the rule of every domain; see `trellis_identity::model`). Views also
//! derive `Serialize` mirroring those attributes, for the gateway's
//! `JsonResponse`; the tests below hold serde and the schema to the same output.

mod appointment;
mod availability;
mod catalog;
mod client;
mod professional;
mod recurring;
mod revenue;
mod social;

pub use appointment::{
    AppointmentView, BookingClient, BookingCommand, CancelCommand, CreateAppointment,
    RescheduleCommand, StatusCommand,
};
pub use availability::{
    Availability, AvailabilityRule, CreateTimeOff, SlotView, Slots, TimeOffView,
};
pub use catalog::{CreateService, ServiceView, UpdateService};
pub use client::{ClientView, CreateClient, CreateNote, NoteView, UpdateClient};
pub use professional::{
    CreateProfessional, Professional, ProfessionalView, PublicProfessional, UpdateProfessional,
};
pub use recurring::{
    CreateRecurringSchedule, Materialized, RecurringConflict, RecurringCreated, RecurringView,
};
pub use revenue::{RevenueGroup, RevenuePeriod, RevenueReport};
pub use social::{CreateReview, FollowView, ReviewView};

#[cfg(test)]
mod tests;
