//! Claiming due events and handing them to subscribers.

use crate::db::WriteTransaction;
use std::{collections::HashSet, sync::Arc, time::Duration};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement,
    sea_query::{Expr, OnConflict},
};

use futures_util::FutureExt;

use super::{Event, EventStatus, HandlerError, Subscriber, entity};
use crate::{clock::SharedClock, id::EventId};

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubles with every further one.
    pub base_delay: Duration,
    /// The longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts before an event is dead.
    pub max_attempts: u32,
    /// How long a claim lasts: a dispatcher that dies mid-delivery hands its
    /// events back after this.
    pub claim_ttl: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            max_attempts: 8,
            claim_ttl: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempt` failed attempts (1 = the first failure).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }

    /// [`delay_after`](Self::delay_after) with jitter: a random point in
    /// its upper half, so work that failed together does not retry together.
    pub fn jittered(&self, attempt: u32) -> Duration {
        use rand::Rng;
        let full = self.delay_after(attempt);
        let half = full / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=spread))
    }
}

/// What one dispatch pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Events claimed.
    pub claimed: usize,
    /// Events every subscriber now has.
    pub delivered: usize,
    /// Events that failed and will be retried.
    pub retrying: usize,
    /// Events given up on.
    pub dead: usize,
}

/// Claims due events and delivers them to subscribers. Any number of
/// dispatchers (in one process or many) may run against one database: a
/// claim is one atomic statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL;
/// SQLite serialises writers), so each event is worked on by one at a time.
pub struct Dispatcher {
    subscribers: Vec<Arc<dyn Subscriber>>,
    policy: RetryPolicy,
    clock: SharedClock,
    holder: String,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.subscribers.iter().map(|s| s.name()).collect();
        f.debug_struct("Dispatcher")
            .field("subscribers", &names)
            .field("policy", &self.policy)
            .field("holder", &self.holder)
            .finish()
    }
}

use crate::{error::stored_error as truncated, time::span as chrono};

impl Dispatcher {
    /// A dispatcher named `holder` (unique per process) with its subscribers.
    pub fn new(
        subscribers: Vec<Arc<dyn Subscriber>>,
        policy: RetryPolicy,
        clock: SharedClock,
        holder: impl Into<String>,
    ) -> Self {
        Self {
            subscribers,
            policy,
            clock,
            holder: holder.into(),
        }
    }

    /// Claims up to `batch` due events and delivers them, one after another.
    pub async fn dispatch_due(
        &self,
        db: &DatabaseConnection,
        batch: u32,
    ) -> Result<DispatchReport, DbErr> {
        let claimed = self.claim(db, batch).await?;
        let mut report = DispatchReport {
            claimed: claimed.len(),
            ..DispatchReport::default()
        };
        for event in claimed {
            match self.deliver(db, &event).await? {
                EventStatus::Delivered => report.delivered += 1,
                EventStatus::Dead => report.dead += 1,
                _ => report.retrying += 1,
            }
        }
        Ok(report)
    }

    /// The kinds some subscriber here wants: the only ones this dispatcher
    /// claims, so an instance that does not know a kind (an older build
    /// during a rolling deploy) never settles it for the ones that do.
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self
            .subscribers
            .iter()
            .flat_map(|s| s.kinds().iter().copied())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

    /// Marks due events as ours and returns them.
    async fn claim(&self, db: &DatabaseConnection, batch: u32) -> Result<Vec<Event>, DbErr> {
        let kinds = self.kinds();
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let until = now + chrono(self.policy.claim_ttl);
        let backend = db.get_database_backend();
        let mut values: Vec<sea_orm::Value> = vec![
            self.holder.clone().into(),
            until.into(),
            now.into(),
            now.into(),
            i64::from(batch).into(),
        ];
        values.extend(kinds.iter().map(|k| sea_orm::Value::from(*k)));
        let sql = match backend {
            DbBackend::Postgres => {
                let list: Vec<String> = (6..6 + kinds.len()).map(|n| format!("${n}")).collect();
                format!(
                    "UPDATE outbox_events SET status = 'processing', claimed_by = $1, \
                     claimed_until = $2, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM outbox_events \
                       WHERE ((status = 'pending' AND available_at <= $3) \
                          OR (status = 'processing' AND claimed_until <= $4)) \
                         AND kind IN ({}) \
                       ORDER BY available_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
                     RETURNING id",
                    list.join(", ")
                )
            }
            _ => {
                let list = vec!["?"; kinds.len()].join(", ");
                // SQLite binds positionally: the kinds come last, so the
                // LIMIT moves after them.
                let limit = values.remove(4);
                values.push(limit);
                format!(
                    "UPDATE outbox_events SET status = 'processing', claimed_by = ?, \
                     claimed_until = ?, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM outbox_events \
                       WHERE ((status = 'pending' AND available_at <= ?) \
                          OR (status = 'processing' AND claimed_until <= ?)) \
                         AND kind IN ({list}) \
                       ORDER BY available_at, id LIMIT ?) \
                     RETURNING id"
                )
            }
        };
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<EventId>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut events: Vec<Event> = entity::event::Entity::find()
            .filter(entity::event::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|row| Event {
                id: row.id,
                kind: row.kind,
                aggregate_id: row.aggregate_id,
                payload: row.payload,
                occurred_at: row.occurred_at,
                attempt: u32::try_from(row.attempts).unwrap_or(1),
            })
            .collect();
        events.sort_by_key(|e| e.id);
        Ok(events)
    }

    /// Hands one event to every subscriber that has not had it yet, then
    /// settles it: delivered, back to pending with a delay, or dead.
    async fn deliver(&self, db: &DatabaseConnection, event: &Event) -> Result<EventStatus, DbErr> {
        let done: HashSet<String> = entity::delivery::Entity::find()
            .filter(entity::delivery::Column::EventId.eq(event.id))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.subscriber)
            .collect();
        let mut failures = Vec::new();
        let mut permanent = false;
        for subscriber in &self.subscribers {
            let wanted = subscriber.kinds().contains(&event.kind.as_str());
            if !wanted || done.contains(subscriber.name()) {
                continue;
            }
            if !self.renew(db, event).await? {
                // Our claim expired and another dispatcher took the event:
                // it is theirs now, whatever we did so far is remembered.
                tracing::warn!(event_id = %event.id, "event claim lost; leaving it to its new holder");
                return Ok(EventStatus::Processing);
            }
            // Write first (the remembered success), then let the subscriber
            // work on the same transaction: its work and the mark commit
            // together or not at all. Writing first also takes SQLite's
            // write lock up front, so the commit cannot fail on a snapshot
            // another writer moved.
            let txn = db.begin_write().await?;
            if !self.remember(&txn, event.id, subscriber.name()).await? {
                // Someone settled this subscriber meanwhile.
                txn.rollback().await?;
                continue;
            }
            match self.call(subscriber.as_ref(), &txn, event).await {
                Ok(()) => txn.commit().await?,
                Err(err) => {
                    txn.rollback().await?;
                    tracing::warn!(
                        event_id = %event.id, kind = %event.kind, subscriber = subscriber.name(),
                        attempt = event.attempt, error = %err, "event delivery failed"
                    );
                    permanent |= err.is_permanent();
                    failures.push(format!("{}: {err}", subscriber.name()));
                }
            }
        }
        let status = if failures.is_empty() {
            EventStatus::Delivered
        } else if permanent || event.attempt >= self.policy.max_attempts {
            EventStatus::Dead
        } else {
            EventStatus::Pending
        };
        self.settle(db, event, status, &failures.join("; ")).await?;
        if status == EventStatus::Dead {
            tracing::error!(event_id = %event.id, kind = %event.kind, attempts = event.attempt, "event dead-lettered");
        }
        Ok(status)
    }

    /// Extends our claim on `event` for one more subscriber call; false if
    /// the claim is no longer ours.
    async fn renew(&self, db: &DatabaseConnection, event: &Event) -> Result<bool, DbErr> {
        use entity::event::{Column, Entity};
        let until = self.clock.now() + chrono(self.policy.claim_ttl);
        let renewed = Entity::update_many()
            .col_expr(Column::ClaimedUntil, Expr::value(Some(until)))
            .filter(Column::Id.eq(event.id))
            .filter(Column::ClaimedBy.eq(self.holder.as_str()))
            .filter(Column::Status.eq(EventStatus::Processing.as_str()))
            .filter(Column::Attempts.eq(i32::try_from(event.attempt).unwrap_or(i32::MAX)))
            .exec(db)
            .await?
            .rows_affected;
        Ok(renewed == 1)
    }

    /// One subscriber call, bounded well inside the claim (half of it) and
    /// with a panic turned into a retryable failure, so neither a hung
    /// transport nor a bug can stop the dispatcher or outlive the claim.
    async fn call(
        &self,
        subscriber: &dyn Subscriber,
        txn: &DatabaseTransaction,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let limit = self.policy.claim_ttl / 2;
        let call = std::panic::AssertUnwindSafe(subscriber.handle(txn, event)).catch_unwind();
        match tokio::time::timeout(limit, call).await {
            Ok(Ok(result)) => result,
            Ok(Err(_panic)) => Err(HandlerError::transient("the subscriber panicked")),
            Err(_elapsed) => Err(HandlerError::transient(format!(
                "no answer within {} s",
                limit.as_secs()
            ))),
        }
    }

    /// Records that `name` handled `event`; false if that was recorded
    /// already. `ON CONFLICT DO NOTHING`, not a caught unique violation:
    /// on PostgreSQL a failed statement would poison the transaction.
    async fn remember(
        &self,
        txn: &DatabaseTransaction,
        event: EventId,
        name: &str,
    ) -> Result<bool, DbErr> {
        use entity::delivery::{ActiveModel, Column, Entity};
        let row = ActiveModel {
            event_id: Set(event),
            subscriber: Set(name.to_string()),
            delivered_at: Set(self.clock.now()),
        };
        let inserted = Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::EventId, Column::Subscriber])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        Ok(inserted > 0)
    }

    /// Writes the outcome, only while the claim is still ours.
    async fn settle(
        &self,
        db: &DatabaseConnection,
        event: &Event,
        status: EventStatus,
        error: &str,
    ) -> Result<(), DbErr> {
        use entity::event::{Column, Entity};
        let now = self.clock.now();
        let mut update = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status.as_str()))
            .col_expr(Column::ClaimedBy, Expr::value(Option::<String>::None))
            .col_expr(
                Column::ClaimedUntil,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            );
        update = match status {
            EventStatus::Delivered => update
                .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None)),
            EventStatus::Pending => update
                .col_expr(
                    Column::AvailableAt,
                    Expr::value(now + chrono(self.policy.delay_after(event.attempt))),
                )
                .col_expr(Column::LastError, Expr::value(Some(truncated(error)))),
            _ => update.col_expr(Column::LastError, Expr::value(Some(truncated(error)))),
        };
        if matches!(status, EventStatus::Delivered | EventStatus::Dead) {
            // A settled event keeps no secret (one-time links in emails):
            // erased in the same statement, so no crash can leave it behind.
            update = update.col_expr(
                Column::Payload,
                Expr::case(Column::Sensitive.eq(true), Expr::value("{}"))
                    .finally(Expr::col(Column::Payload))
                    .into(),
            );
        }
        update
            .filter(Column::Id.eq(event.id))
            .filter(Column::ClaimedBy.eq(self.holder.as_str()))
            .filter(Column::Status.eq(EventStatus::Processing.as_str()))
            .filter(Column::Attempts.eq(i32::try_from(event.attempt).unwrap_or(i32::MAX)))
            .exec(db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        let delays: Vec<u64> = (1..=7).map(|a| policy.delay_after(a).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(policy.delay_after(1000).as_secs(), 60);
        for attempt in 1..=7 {
            for _ in 0..50 {
                let (j, full) = (policy.jittered(attempt), policy.delay_after(attempt));
                assert!(j >= full / 2 && j <= full, "{j:?} outside {full:?}");
            }
        }
    }
}
