//! The assistant's tables (SeaORM entities), one file per table. Private to
//! the crate: services return views.

pub(crate) mod conversation;
pub(crate) mod message;
pub(crate) mod usage;
