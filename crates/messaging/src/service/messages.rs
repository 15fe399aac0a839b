//! Messages and read markers.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use trellis_kernel::{
    Page, PageRequest,
    id::UserId,
    outbox::{self, NewEvent},
};

use crate::{
    entities::{member, message, room},
    error::{Error, Result},
    events::{self, MessageCreated},
    ids::{MessageId, RoomId},
    model::{EditMessage, MarkRead, MessageView, ReadView, SendMessage, text_of},
    realtime::{MessageDeletedEvent, MessageEvent, ReadEvent, ServerEvent},
    service::{MessagingDeps, access, attachments, keyset},
    view,
};

/// One page of a room's history before `before`, newest first: the
/// statement the history index `(room_id, created_at, id)` serves.
fn history_query(
    room_id: RoomId,
    before: Option<(DateTime<Utc>, MessageId)>,
    limit: u64,
) -> sea_orm::Select<message::Entity> {
    let mut query = message::Entity::find().filter(message::Column::RoomId.eq(room_id));
    if let Some((at, id)) = before {
        query = query.filter(keyset::before(
            (message::Entity, message::Column::CreatedAt),
            (message::Entity, message::Column::Id),
            (at, id),
        ));
    }
    query
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .limit(limit)
}

/// The exact statement of a history page, for query-plan checks.
pub fn history_statement(
    backend: sea_orm::DbBackend,
    room_id: RoomId,
    before: Option<(DateTime<Utc>, MessageId)>,
    limit: u64,
) -> sea_orm::Statement {
    sea_orm::QueryTrait::build(&history_query(room_id, before, limit), backend)
}

/// Messages and read markers.
#[derive(Debug, Clone)]
pub struct MessageService {
    deps: Arc<MessagingDeps>,
}

impl MessageService {
    pub(crate) fn new(deps: Arc<MessagingDeps>) -> Self {
        Self { deps }
    }

    /// Sends a message: stored with its attachments (files the sender
    /// uploaded), the room's activity moved, and a
    /// [`events::MESSAGE_CREATED`] event recorded in one transaction; then
    /// published to the room's members.
    pub async fn send(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        room_id: RoomId,
        cmd: SendMessage,
    ) -> Result<MessageView> {
        let text = text_of(&cmd.text)?;
        let attached = cmd.attachments.unwrap_or_default();
        attachments::check_list(&attached)?;
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        // Write first: the room's activity moves, which also orders the
        // room's sends one after another (a row lock on PostgreSQL; on
        // SQLite a transaction that reads before writing fails with
        // SQLITE_BUSY when another writer commits in between, whatever
        // the busy timeout).
        room::Entity::update_many()
            .col_expr(room::Column::LastActivityAt, now.into())
            .filter(room::Column::Id.eq(room_id))
            .exec(&txn)
            .await?;
        access::membership(&txn, room_id, caller).await?;
        let files = attachments::owned_files(&txn, caller, &attached).await?;
        if let Some(reply_to) = cmd.reply_to {
            let in_room = message::Entity::find_by_id(reply_to)
                .filter(message::Column::RoomId.eq(room_id))
                .count(&txn)
                .await?;
            if in_room == 0 {
                return Err(Error::field("reply_to", "no such message in this room"));
            }
        }
        let stored = message::ActiveModel {
            id: Set(MessageId::new()),
            room_id: Set(room_id),
            sender_id: Set(Some(caller)),
            text: Set(Some(text.clone())),
            reply_to: Set(cmd.reply_to),
            edited_at: Set(None),
            deleted_at: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        attachments::link(&txn, stored.id, &files).await?;
        let members = access::member_ids(&txn, room_id).await?;
        let payload = MessageCreated {
            message_id: stored.id,
            room_id,
            sender_id: caller,
            recipients: members.iter().copied().filter(|u| *u != caller).collect(),
            preview: events::preview(&text),
        };
        outbox::record(
            &txn,
            &self.deps.clock,
            NewEvent::new(events::MESSAGE_CREATED, stored.id.0, &payload)?,
        )
        .await?;
        txn.commit().await?;
        let sent = view::message(stored, files.iter().map(view::attachment).collect());
        let event = ServerEvent::Message(MessageEvent {
            message: sent.clone(),
        });
        access::publish(self.deps.realtime.as_ref(), members, &event).await;
        Ok(sent)
    }

    /// A page of the room's history, newest first (keyset on
    /// `(created_at, id)`, served by the history index).
    pub async fn history(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
        page: &PageRequest,
    ) -> Result<Page<MessageView>> {
        let before: Option<(DateTime<Utc>, MessageId)> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        access::membership(db, room_id, caller).await?;
        let rows = history_query(room_id, before, page.fetch_limit())
            .all(db)
            .await?;
        let ids: Vec<MessageId> = rows.iter().map(|m| m.id).collect();
        let attached = attachments::of_messages(db, &ids).await?;
        Ok(Page::from_rows(
            rows,
            page,
            |m| (m.created_at, m.id),
            |m| {
                let files = attached.get(&m.id).cloned().unwrap_or_default();
                view::message(m, files)
            },
        ))
    }

    /// Changes a message's text (its author only; not once deleted).
    pub async fn edit(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
        message_id: MessageId,
        cmd: EditMessage,
    ) -> Result<MessageView> {
        let text = text_of(&cmd.text)?;
        let current = self.own_message(db, caller, room_id, message_id).await?;
        let mut changed: message::ActiveModel = current.into();
        changed.text = Set(Some(text));
        changed.edited_at = Set(Some(self.deps.clock.now()));
        let files = attachments::of_messages(db, &[message_id])
            .await?
            .remove(&message_id)
            .unwrap_or_default();
        let edited = view::message(changed.update(db).await?, files);
        let to = access::member_ids(db, room_id).await?;
        let event = ServerEvent::MessageEdited(MessageEvent {
            message: edited.clone(),
        });
        access::publish(self.deps.realtime.as_ref(), to, &event).await;
        Ok(edited)
    }

    /// Deletes a message (its author only), keeping a tombstone: the row
    /// stays so replies and history keep their place, the text is gone, and
    /// so are its links to its attachments (in the same transaction), so
    /// the room's members can no longer download them through it.
    ///
    /// The files themselves stay: a file belongs to its uploader, who may
    /// have attached it to other messages (whose rooms keep it) or may
    /// attach it again, and still downloads it.
    pub async fn delete(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        room_id: RoomId,
        message_id: MessageId,
    ) -> Result<()> {
        let txn = db.begin_write().await?;
        let current = self.own_message(&txn, caller, room_id, message_id).await?;
        let mut changed: message::ActiveModel = current.into();
        changed.text = Set(None);
        changed.deleted_at = Set(Some(self.deps.clock.now()));
        changed.update(&txn).await?;
        attachments::unlink(&txn, message_id).await?;
        txn.commit().await?;
        let to = access::member_ids(db, room_id).await?;
        let event = ServerEvent::MessageDeleted(MessageDeletedEvent {
            room_id,
            message_id,
        });
        access::publish(self.deps.realtime.as_ref(), to, &event).await;
        Ok(())
    }

    /// The caller's own, undeleted message in a room they are in.
    async fn own_message(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
        message_id: MessageId,
    ) -> Result<message::Model> {
        access::membership(db, room_id, caller).await?;
        let current = message::Entity::find_by_id(message_id)
            .filter(message::Column::RoomId.eq(room_id))
            .one(db)
            .await?
            .ok_or(Error::MessageNotFound)?;
        if current.sender_id != Some(caller) {
            return Err(Error::NotAuthor);
        }
        if current.deleted_at.is_some() {
            return Err(Error::MessageDeleted);
        }
        Ok(current)
    }

    /// Moves the caller's read marker forward to `up_to` (never back).
    pub async fn mark_read(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
        cmd: MarkRead,
    ) -> Result<ReadView> {
        access::membership(db, room_id, caller).await?;
        let target = message::Entity::find_by_id(cmd.up_to)
            .filter(message::Column::RoomId.eq(room_id))
            .one(db)
            .await?
            .ok_or_else(|| Error::field("up_to", "no such message in this room"))?;
        let key = (target.created_at, target.id);
        // Only forward: the update's own condition decides, so two receipts
        // racing each other cannot move the marker back.
        let moved = member::Entity::update_many()
            .col_expr(member::Column::ReadAt, key.0.into())
            .col_expr(member::Column::ReadMessageId, key.1.into())
            .filter(member::Column::RoomId.eq(room_id))
            .filter(member::Column::UserId.eq(caller))
            .filter(
                Condition::any()
                    .add(member::Column::ReadAt.is_null())
                    .add(keyset::before(
                        (member::Entity, member::Column::ReadAt),
                        (member::Entity, member::Column::ReadMessageId),
                        key,
                    )),
            )
            .exec(db)
            .await?
            .rows_affected
            > 0;
        // Where the marker now stands: the receipt's key if it moved it,
        // else (an older receipt, or a newer one raced ahead) as stored now.
        let marker = if moved {
            Some(key)
        } else {
            let me = access::membership(db, room_id, caller).await?;
            me.read_at.zip(me.read_message_id)
        };
        let up_to = marker.map_or(key.1, |(_, id)| id);
        let unread_count = self.unread(db, caller, room_id, marker).await?;
        if moved {
            let to = access::member_ids(db, room_id).await?;
            let event = ServerEvent::Read(ReadEvent {
                room_id,
                user_id: caller,
                up_to,
            });
            access::publish(self.deps.realtime.as_ref(), to, &event).await;
        }
        Ok(ReadView {
            room_id,
            up_to,
            unread_count,
        })
    }

    /// Messages by others after `marker` in one room, deleted ones aside.
    async fn unread(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
        marker: Option<(DateTime<Utc>, MessageId)>,
    ) -> Result<u64> {
        let mut query = message::Entity::find()
            .filter(message::Column::RoomId.eq(room_id))
            .filter(message::Column::DeletedAt.is_null())
            .filter(
                Condition::any()
                    .add(message::Column::SenderId.is_null())
                    .add(message::Column::SenderId.ne(caller)),
            );
        if let Some(marker) = marker {
            query = query.filter(keyset::after(
                (message::Entity, message::Column::CreatedAt),
                (message::Entity, message::Column::Id),
                marker,
            ));
        }
        Ok(query.count(db).await?)
    }
}
