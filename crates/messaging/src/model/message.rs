//! Messages and read markers.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{Timestamp, id::UserId};

use crate::{
    error::{Error, Result},
    ids::{FileId, MessageId, RoomId},
    model::AttachmentView,
};

/// The longest message, in characters after trimming.
pub const MAX_TEXT_CHARS: usize = 4000;

/// A message to send.
#[derive(Debug, Clone, Object)]
pub struct SendMessage {
    /// 1 to 4000 characters after trimming surrounding whitespace.
    pub text: String,
    /// The message this one answers (in the same room).
    pub reply_to: Option<MessageId>,
    /// Files to attach (up to 10, each one the sender uploaded), in order.
    pub attachments: Option<Vec<FileId>>,
}

/// A message's new text.
#[derive(Debug, Clone, Object)]
pub struct EditMessage {
    /// 1 to 4000 characters after trimming surrounding whitespace.
    pub text: String,
}

/// A read receipt.
#[derive(Debug, Clone, Object)]
pub struct MarkRead {
    /// The newest message read; the marker never moves back.
    pub up_to: MessageId,
}

/// A message. A deleted one is a tombstone: `deleted` and no `text`.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct MessageView {
    /// The id.
    pub id: MessageId,
    /// The room.
    pub room_id: RoomId,
    /// The author (absent once their account is deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<UserId>,
    /// The text (absent once deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The message this one answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    /// The attached files, in order (none once deleted).
    pub attachments: Vec<AttachmentView>,
    /// True for a deleted message.
    pub deleted: bool,
    /// Last edited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Timestamp>,
    /// Sent.
    pub created_at: Timestamp,
}

/// A member's read marker after a receipt.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ReadView {
    /// The room.
    pub room_id: RoomId,
    /// The newest message read (unchanged if the receipt was older).
    pub up_to: MessageId,
    /// Messages by others still unread.
    pub unread_count: u64,
}

/// A message text, trimmed and checked: 1 to [`MAX_TEXT_CHARS`] characters.
pub fn text_of(raw: &str) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Error::field("text", "must not be empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::field(
            "text",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(text_of("  hi \n").ok().as_deref(), Some("hi"));
        assert!(text_of(" \n\t ").is_err());
        assert!(text_of(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(text_of(&"é".repeat(MAX_TEXT_CHARS + 1)).is_err());
        let padded = format!("  {}  ", "a".repeat(MAX_TEXT_CHARS));
        assert!(text_of(&padded).is_ok());
    }
}
