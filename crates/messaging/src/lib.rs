//! Messaging, its chat half: rooms (direct between two people, or named
//! groups, optionally owned by an organization), their members and roles,
//! messages with edits and tombstones, read markers, and files (uploaded
//! once, attached to messages, downloaded by the rooms they were posted in,
//! or through a signed link).
//!
//! Every change commits first and is then published on the [`realtime`]
//! bus to the members of its room as they are after the change, so a
//! removed member hears nothing more. A new message is also recorded as an
//! outbox event ([`events::MESSAGE_CREATED`]) in the transaction that
//! stores it, so the notifications half can tell an offline recipient; chat
//! itself never sends email.

pub(crate) mod entities;
pub mod error;
pub mod events;
pub mod files;
pub mod ids;
pub mod model;
pub mod notifications;
pub mod realtime;
pub mod service;
pub(crate) mod view;

pub use error::{Error, Result};
pub use service::{Messaging, MessagingDeps};
