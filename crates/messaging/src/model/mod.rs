//! Commands the API accepts and views it returns, by aggregate.

mod message;
mod room;

pub use message::{EditMessage, MarkRead, MessageView, ReadView, SendMessage, text_of};
pub use room::{AddMember, ChangeRole, CreateRoom, MemberRole, RoomKind, RoomMemberView, RoomView};

#[cfg(test)]
mod tests;
