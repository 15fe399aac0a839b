//! Rows to views.

use crate::{
    entities::{file, member, message},
    model::{AttachmentView, FileView, MessageView, RoomMemberView},
};

/// A message with its attachments; a tombstone carries no text and none.
pub fn message(m: message::Model, attachments: Vec<AttachmentView>) -> MessageView {
    let deleted = m.deleted_at.is_some();
    MessageView {
        id: m.id,
        room_id: m.room_id,
        sender_id: m.sender_id,
        deleted,
        text: m.text.filter(|_| !deleted),
        reply_to: m.reply_to,
        attachments: if deleted { Vec::new() } else { attachments },
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

/// A file as a message carries it.
pub fn attachment(f: &file::Model) -> AttachmentView {
    AttachmentView {
        id: f.id,
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size_bytes: u64::try_from(f.size_bytes).unwrap_or(0),
    }
}

/// A file as its uploader sees it.
pub fn file(f: file::Model) -> FileView {
    FileView {
        id: f.id,
        size_bytes: u64::try_from(f.size_bytes).unwrap_or(0),
        name: f.name,
        content_type: f.content_type,
        sha256: f.sha256,
        created_at: f.created_at.into(),
    }
}
