//! The shared vocabulary of Trellis.
//!
//! Every domain crate speaks in these terms: typed ids, a [`Clock`](clock::Clock)
//! that tests can steer, cursor pagination, the error kinds the gateway maps to
//! HTTP, the authenticated [`Principal`](auth::Principal), the database
//! connection, the runtime settings store, and the value [`types`] commands
//! carry (an `Email`, a `Slug`, a `TimeZone`), valid by construction. Nothing
//! here knows a business rule; the ports domains need from each other are
//! declared here and wired by the gateway.

pub mod auth;
pub mod clock;
pub mod contact;
pub mod db;
pub mod error;
pub mod id;
pub mod idempotency;
pub mod jobs;
pub mod lease;
pub mod notify;
pub mod outbox;
pub mod pagination;
pub mod ports;
pub mod settings;
pub mod time;
pub mod types;

#[cfg(feature = "testing")]
pub mod testing;

pub use auth::{Principal, Role};
pub use clock::{Clock, SharedClock, SystemClock};
pub use error::{DomainError, ErrorKind, FieldError};
pub use pagination::{Cursor, Page, PageRequest};
pub use time::Timestamp;
