//! The Trellis gateway: configuration, wiring and the HTTP surface.
//!
//! Domain crates hold the business rules; this crate reads the environment,
//! builds their services, translates HTTP to calls and errors to problem
//! documents, and serves two listeners (public and internal).

pub mod allocator;
pub mod api;
pub mod app;
pub mod auth;
pub mod billable_time;
pub mod cli;
pub mod config;
pub mod desk;
pub mod error;
pub mod events;
pub mod healthcheck;
pub mod idempotency;
pub mod jobs;
pub mod middleware;
pub mod notices;
pub mod notifications;
pub mod openapi;
pub mod realtime;
pub mod revocations;
pub mod shared_caches;
pub mod shared_redis;
pub mod state;
pub mod telemetry;

pub use app::{App, BoundApp, StartupError};
pub use config::Config;
