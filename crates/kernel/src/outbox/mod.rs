//! Durable domain events: the transactional outbox.
//!
//! A service that changes something others must hear about calls [`record`]
//! on the same connection (usually the same transaction) as the change, so
//! the event exists exactly when the change does. A [`Dispatcher`] claims due
//! events, hands each to the [`Subscriber`]s registered for its kind,
//! retries failures with exponential backoff and dead-letters an event after
//! the last attempt. Nothing that must survive a crash is sent from a
//! spawned task.
//!
//! Delivery is at least once per subscriber, and a subscriber that succeeded
//! is never called again for the same event (its success is remembered in
//! `outbox_deliveries`). The one window left is a crash after a subscriber
//! acted and before its success was written: the event is then retried once
//! its claim expires.

mod dispatch;
pub mod entity;

use std::fmt;

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Serialize, de::DeserializeOwned};

pub use dispatch::{DispatchReport, Dispatcher, RetryPolicy};

use crate::{Page, PageRequest, Timestamp, clock::SharedClock, id::EventId, pagination::PageError};

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    kind: &'static str,
    aggregate_id: String,
    payload: String,
    sensitive: bool,
    available_at: Option<DateTime<Utc>>,
}

impl NewEvent {
    /// An event of `kind` about `aggregate_id`, carrying `payload` as JSON.
    pub fn new(
        kind: &'static str,
        aggregate_id: impl fmt::Display,
        payload: &impl Serialize,
    ) -> Result<Self, DbErr> {
        let payload = serde_json::to_string(payload)
            .map_err(|e| DbErr::Custom(format!("event payload: {e}")))?;
        Ok(Self {
            kind,
            aggregate_id: aggregate_id.to_string(),
            payload,
            sensitive: false,
            available_at: None,
        })
    }

    /// The payload holds a secret (a one-time link): it is erased once the
    /// event is delivered or dead, and never shown by the events list.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Not to be delivered before `at`.
    pub fn not_before(mut self, at: DateTime<Utc>) -> Self {
        self.available_at = Some(at);
        self
    }
}

/// Records an event on `db`: pass the transaction that makes the change, so
/// both commit or neither does.
pub async fn record(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    event: NewEvent,
) -> Result<EventId, DbErr> {
    let now = clock.now();
    let id = EventId::new();
    entity::event::Entity::insert(entity::event::ActiveModel {
        id: Set(id),
        kind: Set(event.kind.to_string()),
        aggregate_id: Set(event.aggregate_id),
        payload: Set(event.payload),
        sensitive: Set(event.sensitive),
        status: Set(EventStatus::Pending.as_str().to_string()),
        attempts: Set(0),
        occurred_at: Set(now),
        available_at: Set(event.available_at.unwrap_or(now)),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    tracing::debug!(kind = event.kind, event_id = %id, "event recorded");
    Ok(id)
}

/// An event as a subscriber receives it.
#[derive(Debug, Clone)]
pub struct Event {
    /// The id: a subscriber that keeps its own records can deduplicate on it.
    pub id: EventId,
    /// What happened.
    pub kind: String,
    /// What it happened to.
    pub aggregate_id: String,
    /// The data, JSON text.
    pub payload: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// This is attempt number `attempt` (1 for the first).
    pub attempt: u32,
}

impl Event {
    /// The payload as `T`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_str(&self.payload)
            .map_err(|e| HandlerError::permanent(format!("payload of {}: {e}", self.kind)))
    }
}

/// Why a subscriber could not handle an event.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    message: String,
    permanent: bool,
}

impl HandlerError {
    /// A failure worth retrying (a mail server down).
    pub fn transient(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            permanent: false,
        }
    }

    /// A failure no retry will fix (an unreadable payload): dead at once.
    pub fn permanent(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            permanent: true,
        }
    }

    /// True if retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }
}

/// Hears events of some kinds. Registered with the [`Dispatcher`] by the
/// gateway; implemented by whichever domain reacts (messaging's
/// notifications, billing's usage...).
#[async_trait::async_trait]
pub trait Subscriber: Send + Sync + 'static {
    /// A stable name: successes are remembered per event and name, so
    /// renaming a subscriber makes it hear pending events again.
    fn name(&self) -> &'static str;

    /// The event kinds it wants.
    fn kinds(&self) -> &'static [&'static str];

    /// Handles one event inside `txn`, the transaction that also records
    /// the event as handled by this subscriber: work done on `txn` commits
    /// exactly when the event counts as handled, and rolls back with a
    /// failure. `Ok` is final: it will not be called again for it.
    ///
    /// Do database work here, not calls to the outside world: a subscriber
    /// that must reach a provider records the work for its own worker
    /// (messaging's deliveries), so a slow provider never holds a
    /// transaction open.
    async fn handle(&self, txn: &DatabaseTransaction, event: &Event) -> Result<(), HandlerError>;
}

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// Claimed by a dispatcher right now.
    Processing,
    /// Every subscriber had it.
    Delivered,
    /// Gave up after the last attempt, or a permanent failure.
    Dead,
}

impl EventStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    fn parse(name: &str) -> Self {
        match name {
            "processing" => Self::Processing,
            "delivered" => Self::Delivered,
            "dead" => Self::Dead,
            _ => Self::Pending,
        }
    }
}

/// An event as operators see it (`GET /internal/events`).
// `Serialize` mirrors the `Object` derive, so the gateway writes it straight
// to bytes.
#[derive(Debug, Clone, Object, Serialize)]
pub struct EventView {
    /// The id.
    pub id: EventId,
    /// What happened.
    pub kind: String,
    /// What it happened to.
    pub aggregate_id: String,
    /// Where it is in its life.
    pub status: EventStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Next attempt not before (pending events).
    pub available_at: Timestamp,
    /// When every subscriber had it.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    /// The last failure.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The data; omitted for sensitive events (one-time links).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

fn view(row: entity::event::Model) -> EventView {
    let payload = (!row.sensitive)
        .then(|| serde_json::from_str(&row.payload).ok())
        .flatten();
    EventView {
        id: row.id,
        kind: row.kind,
        aggregate_id: row.aggregate_id,
        status: EventStatus::parse(&row.status),
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        occurred_at: row.occurred_at.into(),
        available_at: row.available_at.into(),
        delivered_at: row.delivered_at.map(Into::into),
        last_error: row.last_error,
        payload,
    }
}

/// Events, newest first, optionally of one status: what operators look at
/// when something was not delivered.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<EventStatus>,
    page: &PageRequest,
) -> Result<Page<EventView>, ListError> {
    use entity::event::{Column, Entity};
    let mut query = Entity::find();
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(before) = page.key::<EventId>()? {
        query = query.filter(Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page, |row| row.id, view))
}

/// Why the events list failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// A bad cursor.
    #[error(transparent)]
    Page(#[from] PageError),
    /// The database failed.
    #[error("the events could not be read")]
    Database(#[from] DbErr),
}

impl crate::DomainError for ListError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Page(e) => e.kind(),
            Self::Database(e) => crate::error::db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Page(e) => e.code(),
            Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<crate::FieldError> {
        match self {
            Self::Page(e) => e.field_errors(),
            Self::Database(_) => Vec::new(),
        }
    }
}

/// Why an event could not be retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// No such event.
    #[error("no such event")]
    NotFound,
    /// Only dead events are retried by hand; the others are on their way.
    #[error("only a dead event can be retried; this one is {0}")]
    NotDead(&'static str),
    /// Its secret (a one-time link) was erased when it died; the person must
    /// ask again (a new reset or verification email).
    #[error("this event carried a one-time link, erased when it died; ask for a new one")]
    PayloadErased,
    /// The database failed.
    #[error("the event could not be retried")]
    Database(#[from] DbErr),
}

impl crate::DomainError for RetryError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::NotFound => crate::ErrorKind::NotFound,
            Self::NotDead(_) | Self::PayloadErased => crate::ErrorKind::Conflict,
            Self::Database(e) => crate::error::db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "event.not_found",
            Self::NotDead(_) => "event.not_dead",
            Self::PayloadErased => "event.payload_erased",
            Self::Database(_) => "internal",
        }
    }
}

/// Sends a dead event round again: pending now, with a fresh set of
/// attempts. Subscribers that had it already are not called again.
pub async fn retry(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    id: EventId,
) -> Result<EventView, RetryError> {
    use entity::event::{Column, Entity};
    let row = Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RetryError::NotFound)?;
    match EventStatus::parse(&row.status) {
        EventStatus::Dead if row.sensitive => return Err(RetryError::PayloadErased),
        EventStatus::Dead => {}
        other => return Err(RetryError::NotDead(other.as_str())),
    }
    let changed = Entity::update_many()
        .col_expr(Column::Status, Expr::value(EventStatus::Pending.as_str()))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::AvailableAt, Expr::value(clock.now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(EventStatus::Dead.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if changed != 1 {
        return Err(RetryError::NotDead("pending"));
    }
    let row = Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RetryError::NotFound)?;
    Ok(view(row))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::testing::assert_same_json;

    // Full literals, no `..`: a new field fails to compile here until it is
    // tested both set and unset.
    #[test]
    fn serde_writes_an_event_view_as_to_json_does() {
        let at = Timestamp(
            Utc.timestamp_opt(1_790_000_000, 0)
                .single()
                .unwrap_or_default(),
        );
        let written = assert_same_json(&EventView {
            id: EventId::new(),
            kind: "appointment.booked".into(),
            aggregate_id: "a1".into(),
            status: EventStatus::Pending,
            attempts: 0,
            occurred_at: at,
            available_at: at,
            delivered_at: None,
            last_error: None,
            payload: None,
        });
        assert!(written.get("payload").is_none(), "absent, not null");
        for status in [
            EventStatus::Pending,
            EventStatus::Processing,
            EventStatus::Delivered,
            EventStatus::Dead,
        ] {
            assert_same_json(&EventView {
                id: EventId::new(),
                kind: "appointment.booked".into(),
                aggregate_id: "a1".into(),
                status,
                attempts: 3,
                occurred_at: at,
                available_at: at,
                delivered_at: Some(at),
                last_error: Some("smtp: 451 \"busy\"".into()),
                payload: Some(serde_json::json!({ "b": [1, null], "a": "x" })),
            });
        }
    }
}
