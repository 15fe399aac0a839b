//! SeaORM entities, one per table. Tables are prefixed `chat_` so the
//! notifications half's tables never collide with them.

pub mod attachment;
pub mod file;
pub mod member;
pub mod message;
pub mod room;
