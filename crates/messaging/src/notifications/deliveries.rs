//! The delivery rows: queued by the consumer, worked by the worker, listed
//! and retried by operators.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use trellis_kernel::{
    Page, PageRequest,
    clock::SharedClock,
    contact::Phone,
    id::{EventId, UserId},
    notify::{ChannelKind, NotificationKind},
};

use super::{
    message::Rendered,
    model::{DeliveryFilter, DeliveryStatus, DeliveryView},
};
use crate::{
    entities::delivery::{self, Column, Entity},
    error::{Error, Result},
    ids::{DeliveryId, DeviceId},
};

/// What an erased secret message is stored as.
pub(crate) const ERASED: &str = "{}";

/// A delivery to queue.
#[derive(Debug, Clone)]
pub(crate) struct NewDelivery {
    pub(crate) kind: NotificationKind,
    pub(crate) user_id: Option<UserId>,
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) device_id: Option<DeviceId>,
    pub(crate) message: Rendered,
    pub(crate) secret: bool,
}

/// Queues `deliveries` for `event` on `db` (the consumer's transaction).
/// Unique per event, channel and address: queuing the same request twice
/// queues nothing more.
pub(crate) async fn queue(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    event: EventId,
    deliveries: Vec<NewDelivery>,
) -> Result<u64, DbErr> {
    if deliveries.is_empty() {
        return Ok(0);
    }
    let now = clock.now();
    let mut rows = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let content = serde_json::to_string(&d.message)
            .map_err(|e| DbErr::Custom(format!("rendered message: {e}")))?;
        rows.push(delivery::ActiveModel {
            id: Set(DeliveryId::new()),
            event_id: Set(event),
            kind: Set(d.kind.as_str().to_string()),
            channel: Set(d.message.channel().as_str().to_string()),
            recipient_user_id: Set(d.user_id),
            recipient_name: Set(d.name.chars().take(200).collect()),
            address: Set(d.address),
            device_id: Set(d.device_id),
            content: Set(content),
            secret: Set(d.secret),
            status: Set(DeliveryStatus::Pending.as_str().to_string()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_by: Set(None),
            claimed_until: Set(None),
            provider_id: Set(None),
            last_error: Set(None),
            failure_class: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            sent_at: Set(None),
        });
    }
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::EventId, Column::Channel, Column::Address])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
}

/// The address as operators see it: phones masked, push tokens shortened.
fn shown_address(channel: ChannelKind, address: &str) -> String {
    match channel {
        ChannelKind::Sms | ChannelKind::Whatsapp => Phone::parse(address)
            .map(|p| p.masked())
            .unwrap_or_else(|_| "***".into()),
        ChannelKind::Push => token_suffix(address),
        ChannelKind::Email => address.to_string(),
    }
}

/// The last characters of a push token.
pub(crate) fn token_suffix(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(8)..].iter().collect();
    format!("…{tail}")
}

pub(crate) fn view(row: delivery::Model) -> DeliveryView {
    let channel = ChannelKind::parse(&row.channel).unwrap_or(ChannelKind::Email);
    let summary = serde_json::from_str::<Rendered>(&row.content)
        .ok()
        .map(|m| m.summary());
    DeliveryView {
        id: row.id,
        kind: NotificationKind::parse(&row.kind).unwrap_or(NotificationKind::Welcome),
        channel,
        status: DeliveryStatus::parse(&row.status),
        recipient_user_id: row.recipient_user_id,
        recipient_name: row.recipient_name,
        address: shown_address(channel, &row.address),
        summary,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        next_attempt_at: row.next_attempt_at.into(),
        provider_id: row.provider_id,
        last_error: row.last_error,
        created_at: row.created_at.into(),
        sent_at: row.sent_at.map(Into::into),
    }
}

/// Deliveries, newest first, filtered.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    filter: DeliveryFilter,
    page: &PageRequest,
) -> Result<Page<DeliveryView>> {
    let mut query = Entity::find();
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(Column::Channel.eq(channel.as_str()));
    }
    if let Some(before) = page.key::<DeliveryId>()? {
        query = query.filter(Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page, |row| row.id, view))
}

/// One delivery.
pub(crate) async fn get(db: &impl ConnectionTrait, id: DeliveryId) -> Result<DeliveryView> {
    Entity::find_by_id(id)
        .one(db)
        .await?
        .map(view)
        .ok_or(Error::DeliveryNotFound)
}

/// Sends a failed or dead delivery again now, with a fresh set of attempts.
pub(crate) async fn retry(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    id: DeliveryId,
) -> Result<DeliveryView> {
    let row = Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::DeliveryNotFound)?;
    let status = DeliveryStatus::parse(&row.status);
    if !matches!(status, DeliveryStatus::Failed | DeliveryStatus::Dead) {
        return Err(Error::DeliveryNotRetryable(status.as_str()));
    }
    if row.content == ERASED {
        return Err(Error::DeliveryErased);
    }
    let now = clock.now();
    let changed = requeue()
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(row.status.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if changed != 1 {
        return Err(Error::DeliveryNotRetryable("pending"));
    }
    get(db, id).await
}

/// The update that puts a delivery back in the queue (the caller adds the
/// filter, the time and the attempts).
pub(crate) fn requeue() -> sea_orm::UpdateMany<Entity> {
    Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(DeliveryStatus::Pending.as_str()),
        )
        .col_expr(Column::ClaimedBy, Expr::value(Option::<String>::None))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}
