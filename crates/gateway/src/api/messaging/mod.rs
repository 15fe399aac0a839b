//! Messaging: rooms, members, messages, read receipts, files, the
//! realtime socket, and notifications (preferences, push devices,
//! unsubscribe links; deliveries for staff).
//!
//! Room access is the domain's own rule (members only; a stranger gets 404
//! as if the room did not exist), checked by the messaging services, so
//! these handlers hold no access checks either.

pub mod deliveries;
pub mod files;
pub mod messages;
pub mod notifications;
pub mod rooms;
pub mod ws;

/// Messaging operations on the public listener.
pub type Public = (
    rooms::RoomsApi,
    messages::MessagesApi,
    files::FilesApi,
    ws::RealtimeApi,
    notifications::NotificationsApi,
);

/// Messaging operations on the internal listener.
pub type Internal = deliveries::DeliveriesApi;
