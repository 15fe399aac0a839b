//! Rows to views.

use crate::{
    entities::{member, message},
    model::{MessageView, RoomMemberView},
};

/// A message; a tombstone carries no text.
pub fn message(m: message::Model) -> MessageView {
    MessageView {
        id: m.id,
        room_id: m.room_id,
        sender_id: m.sender_id,
        deleted: m.deleted_at.is_some(),
        text: m.text.filter(|_| m.deleted_at.is_none()),
        reply_to: m.reply_to,
        edited_at: m.edited_at.map(Into::into),
        created_at: m.created_at.into(),
    }
}

/// A member.
pub fn member(m: member::Model) -> RoomMemberView {
    RoomMemberView {
        user_id: m.user_id,
        role: m.role,
        joined_at: m.joined_at.into(),
    }
}
