//! The black-box suite: one test binary, so the gateway links once.
//!
//! Every test starts the real gateway on port 0 against its own fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set) and talks
//! to it over HTTP like a client. One module per domain, one file per area.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod assistant;
mod billing;
mod identity;
mod messaging;
mod scheduling;
mod system;
mod time;
mod vault;
