//! Messaging: rooms, messages, files.

mod files;
