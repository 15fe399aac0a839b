//! Time tracking for agencies: the clients an agency works for (named
//! `AgencyClient` everywhere, never to be confused with scheduling's
//! clients), their projects, tasks and comments, and the time worked on
//! them: entries, timers, reports, and the unbilled time billing invoices.
//!
//! Everything belongs to an organization. Every service method takes the
//! caller's [`OrgAccess`](trellis_kernel::ports::OrgAccess), the proof of
//! membership and role, and scopes every query to that organization, so no
//! handler checks access by hand and another organization's ids are simply
//! not found. Admin-only rules ask the access for the role.
//!
//! In bulk: CSV imports of clients, projects and time entries with their
//! history, and a streamed CSV export of time entries
//! ([`service::CsvService`], columns in [`columns`]); bulk changes to tasks
//! and clients by id list (`TaskService::bulk`, `AgencyClientService::bulk`).
//!
//! The pure parts: [`rounding`] (the organization's rounding grid),
//! [`calendar`] (local days and weeks as arithmetic the database can do)
//! and [`money`] (what an entry is worth); [`columns`] documents the CSV
//! files imports read and the export writes.

pub mod calendar;
pub mod columns;
pub(crate) mod entities;
pub mod error;
pub mod ids;
pub mod model;
pub mod money;
pub mod rounding;
pub mod service;
pub(crate) mod view;

pub use error::{Error, Result};
pub use service::{TimeTracking, TimeTrackingDeps};
