//! Messaging: rooms, members, messages, read receipts, files and the
//! realtime socket.
//!
//! Room access is the domain's own rule (members only; a stranger gets 404
//! as if the room did not exist), checked by the messaging services, so
//! these handlers hold no access checks either.

pub mod files;
pub mod messages;
pub mod rooms;
pub mod ws;

/// Messaging operations on the public listener.
pub type Public = (
    rooms::RoomsApi,
    messages::MessagesApi,
    files::FilesApi,
    ws::RealtimeApi,
);

/// Messaging operations on the internal listener.
pub type Internal = ();
