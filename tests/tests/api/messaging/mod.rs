//! Rooms, members, messages, read receipts.

mod rooms;
