//! Rooms, members, messages, read receipts, files.

mod files;
mod rooms;
