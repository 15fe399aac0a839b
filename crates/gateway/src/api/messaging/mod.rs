//! Messaging: rooms, members, messages, read receipts and files.
//!
//! Room access is the domain's own rule (members only; a stranger gets 404
//! as if the room did not exist), checked by the messaging services, so
//! these handlers hold no access checks either.

pub mod files;
pub mod messages;
pub mod rooms;

/// Messaging operations on the public listener.
pub type Public = (rooms::RoomsApi, messages::MessagesApi, files::FilesApi);

/// Messaging operations on the internal listener.
pub type Internal = ();
