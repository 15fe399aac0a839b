//! Every view the gateway returns, written by serde exactly as its schema
//! (`ToJSON`) says, with its optional fields set and unset.
//!
//! Full struct literals, never `..`: a new field fails to compile here until
//! it is tested both ways.

use chrono::DateTime;
use trellis_kernel::{
    Page, Timestamp,
    id::{OrgId, UserId},
    testing::assert_same_json,
};

use super::*;
use crate::ids::{FileId, MessageId, RoomId};

fn at(secs: i64) -> Timestamp {
    Timestamp(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

fn message(set: bool) -> MessageView {
    MessageView {
        id: MessageId::new(),
        room_id: RoomId::new(),
        sender_id: set.then(UserId::new),
        text: set.then(|| "see you \"tomorrow\"\n— Ana".into()),
        reply_to: set.then(MessageId::new),
        attachments: if set {
            vec![attachment(), attachment()]
        } else {
            Vec::new()
        },
        deleted: !set,
        edited_at: set.then(|| at(1_790_000_100)),
        created_at: Timestamp(DateTime::from_timestamp(1_790_000_000, 5_000).unwrap_or_default()),
    }
}

fn attachment() -> AttachmentView {
    AttachmentView {
        id: FileId::new(),
        name: "résumé \"v2\".pdf".into(),
        content_type: "application/pdf".into(),
        size_bytes: 123_456,
    }
}

fn member(role: MemberRole) -> RoomMemberView {
    RoomMemberView {
        user_id: UserId::new(),
        role,
        joined_at: at(1_780_000_000),
    }
}

fn room(kind: RoomKind, set: bool) -> RoomView {
    RoomView {
        id: RoomId::new(),
        kind,
        name: set.then(|| "Front desk".into()),
        org_id: set.then(OrgId::new),
        my_role: if set {
            MemberRole::Admin
        } else {
            MemberRole::Member
        },
        unread_count: if set { 3 } else { 0 },
        last_message: set.then(|| message(true)),
        members: set.then(|| vec![member(MemberRole::Admin), member(MemberRole::Member)]),
        last_activity_at: at(1_790_000_000),
        created_at: at(1_780_000_000),
    }
}

#[test]
fn messages_and_tombstones() {
    assert_same_json(&message(true));
    let tombstone = assert_same_json(&message(false));
    assert!(tombstone.get("text").is_none());
}

#[test]
fn rooms_of_each_kind_and_their_pages() {
    for kind in [RoomKind::Direct, RoomKind::Group] {
        for set in [true, false] {
            assert_same_json(&room(kind, set));
        }
    }
    assert_same_json(&Page {
        items: vec![room(RoomKind::Group, true), room(RoomKind::Direct, false)],
        next_cursor: Some("abc".into()),
    });
    assert_same_json(&Page {
        items: vec![message(true), message(false)],
        next_cursor: None,
    });
}

#[test]
fn members_and_read_markers() {
    assert_same_json(&member(MemberRole::Admin));
    assert_same_json(&ReadView {
        room_id: RoomId::new(),
        up_to: MessageId::new(),
        unread_count: 7,
    });
}

#[test]
fn files() {
    assert_same_json(&attachment());
    assert_same_json(&FileView {
        id: FileId::new(),
        name: "photo.png".into(),
        content_type: "image/png".into(),
        size_bytes: 5_000_000_000,
        sha256: "ab".repeat(32),
        created_at: at(1_790_000_000),
    });
}
