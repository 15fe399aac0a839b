//! Commands the API accepts and views it returns, by aggregate.

mod file;
mod message;
mod room;

pub use file::{AttachmentView, FileDownload, FileLink, FileView, MAX_ATTACHMENTS, NewFile};
pub use message::{EditMessage, MarkRead, MessageView, ReadView, SendMessage, text_of};
pub use room::{AddMember, ChangeRole, CreateRoom, MemberRole, RoomKind, RoomMemberView, RoomView};

#[cfg(test)]
mod tests;
