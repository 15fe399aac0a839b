//! The events messaging records in the outbox.
//!
//! A new message is recorded as [`MESSAGE_CREATED`] in the transaction that
//! stores it, naming the members who should hear of it, so the
//! notifications half can tell the ones who are offline. Chat never sends
//! email itself.

use serde::{Deserialize, Serialize};
use trellis_kernel::id::UserId;

use crate::ids::{MessageId, RoomId};

/// A message was sent; payload [`MessageCreated`].
pub const MESSAGE_CREATED: &str = "message.created";

/// Every event kind messaging records.
pub const KINDS: &[&str] = &[MESSAGE_CREATED];

/// The payload of [`MESSAGE_CREATED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCreated {
    /// The message.
    pub message_id: MessageId,
    /// Its room.
    pub room_id: RoomId,
    /// Its author.
    pub sender_id: UserId,
    /// The room's other members when it was sent.
    pub recipients: Vec<UserId>,
    /// The first 200 characters, for a notification's preview.
    pub preview: String,
}

/// How much of a message a notification may quote.
pub const PREVIEW_CHARS: usize = 200;

/// The first [`PREVIEW_CHARS`] characters of `text`.
pub fn preview(text: &str) -> String {
    text.chars().take(PREVIEW_CHARS).collect()
}
