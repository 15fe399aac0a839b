//! SeaORM entities, one per table. Chat's tables are prefixed `chat_`, the
//! notification half's `notification_` (and `push_devices`).

pub mod alert;
pub mod attachment;
pub mod delivery;
pub mod device;
pub mod file;
pub mod member;
pub mod message;
pub mod preference;
pub mod room;
