//! Rooms, members, messages, read receipts, files and the realtime socket.

mod files;
mod rooms;
mod ws;
