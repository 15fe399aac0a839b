//! Messaging: rooms, messages and the realtime socket.

mod ws;
