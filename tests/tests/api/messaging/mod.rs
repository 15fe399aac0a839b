//! Rooms, members, messages, read receipts, files, the realtime socket and
//! notifications.

mod files;
mod notifications;
mod rooms;
mod ws;
