//! Sends due deliveries through their channels.
//!
//! A pass claims due deliveries in one statement (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL; SQLite serialises writers), counting the attempt and
//! marking them `sending` under a claim that lapses after `claim_ttl`. Each
//! is then sent once and settled while the claim is still ours: `sent` with
//! the provider's id, `failed` with the next attempt after an exponential,
//! jittered backoff (never sooner than the provider's `Retry-After`), or
//! `dead` after a refusal or the last attempt.
//!
//! Attempts are counted before the send, so each attempt sends at most
//! once. A worker that dies mid-pass leaves its claims to lapse: a delivery
//! it had not sent is sent by the next pass; one it had sent but not yet
//! recorded is sent again under the same key (the email's `Message-ID`) —
//! the one window no provider API without idempotency keys can close.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Statement, sea_query::Expr,
};
use trellis_kernel::{
    SharedClock, error::stored_error as truncated, notify::ChannelKind, outbox::RetryPolicy,
    time::span as chrono,
};

use super::{
    channels::{Channels, Outgoing, SendError},
    deliveries::ERASED,
    devices,
    message::Rendered,
    model::DeliveryStatus,
};
use crate::entities::delivery::{self, Column, Entity};

/// How deliveries are tried: the outbox's retry policy (backoff, attempts,
/// claim) plus how many sends one worker has in flight.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPolicy {
    /// Backoff, attempts before dead, and the claim (a send is cut off at
    /// half of it).
    pub retry: RetryPolicy,
    /// How many sends one worker has in flight.
    pub concurrency: usize,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            retry: RetryPolicy {
                base_delay: Duration::from_secs(30),
                max_delay: Duration::from_secs(3600),
                max_attempts: 6,
                claim_ttl: Duration::from_secs(120),
            },
            concurrency: 8,
        }
    }
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The provider took it.
    Sent,
    /// It failed and will be tried again.
    Retrying,
    /// It was given up on.
    Dead,
}

impl Outcome {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Attempts by channel and outcome.
    pub outcomes: HashMap<(ChannelKind, Outcome), u64>,
}

/// Sends due deliveries; any number may run against one database.
pub struct DeliveryWorker {
    channels: Arc<Channels>,
    clock: SharedClock,
    policy: DeliveryPolicy,
    holder: String,
}

impl std::fmt::Debug for DeliveryWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorker")
            .field("policy", &self.policy)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl DeliveryWorker {
    /// A worker named `holder` (unique per process) sending through `channels`.
    pub fn new(
        channels: Arc<Channels>,
        clock: SharedClock,
        policy: DeliveryPolicy,
        holder: impl Into<String>,
    ) -> Self {
        Self {
            channels,
            clock,
            policy,
            holder: holder.into(),
        }
    }

    /// Claims up to `batch` due deliveries and sends them.
    pub async fn run_once(
        &self,
        db: &DatabaseConnection,
        batch: u32,
    ) -> Result<WorkerReport, DbErr> {
        let claimed = self.claim(db, batch).await?;
        let mut report = WorkerReport {
            claimed: claimed.len(),
            ..WorkerReport::default()
        };
        let settled: Vec<Result<(ChannelKind, Outcome), DbErr>> = stream::iter(claimed)
            .map(|row| self.attempt(db, row))
            .buffer_unordered(self.policy.concurrency.max(1))
            .collect()
            .await;
        for result in settled {
            *report.outcomes.entry(result?).or_default() += 1;
        }
        Ok(report)
    }

    /// How long the oldest due delivery has waited past its time: the
    /// queue's age, zero when nothing is overdue.
    pub async fn queue_age(&self, db: &DatabaseConnection) -> Result<Duration, DbErr> {
        let now = self.clock.now();
        let oldest: Option<DateTime<Utc>> = Entity::find()
            .select_only()
            .column_as(Column::NextAttemptAt.min(), "oldest")
            .filter(Column::Status.is_in([
                DeliveryStatus::Pending.as_str(),
                DeliveryStatus::Failed.as_str(),
            ]))
            .filter(Column::NextAttemptAt.lte(now))
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten();
        Ok(oldest
            .and_then(|t| (now - t).to_std().ok())
            .unwrap_or_default())
    }

    async fn claim(
        &self,
        db: &DatabaseConnection,
        batch: u32,
    ) -> Result<Vec<delivery::Model>, DbErr> {
        let kinds: Vec<&'static str> = self
            .channels
            .kinds()
            .into_iter()
            .map(ChannelKind::as_str)
            .collect();
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let until = now + chrono(self.policy.retry.claim_ttl);
        let backend = db.get_database_backend();
        let mut values: Vec<sea_orm::Value> = vec![
            self.holder.clone().into(),
            until.into(),
            now.into(),
            now.into(),
            now.into(),
        ];
        values.extend(kinds.iter().map(|k| sea_orm::Value::from(*k)));
        values.push(i64::from(batch).into());
        let (list, limit, lock) = match backend {
            DbBackend::Postgres => {
                let list: Vec<String> = (6..6 + kinds.len()).map(|n| format!("${n}")).collect();
                let limit = format!("${}", 6 + kinds.len());
                (list.join(", "), limit, " FOR UPDATE SKIP LOCKED")
            }
            _ => (vec!["?"; kinds.len()].join(", "), "?".to_string(), ""),
        };
        let p = |n: usize| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        };
        let sql = format!(
            "UPDATE notification_deliveries SET status = 'sending', claimed_by = {}, \
             claimed_until = {}, attempts = attempts + 1, updated_at = {} \
             WHERE id IN (SELECT id FROM notification_deliveries \
               WHERE ((status IN ('pending', 'failed') AND next_attempt_at <= {}) \
                  OR (status = 'sending' AND claimed_until <= {})) \
                 AND channel IN ({list}) \
               ORDER BY next_attempt_at, id LIMIT {limit}{lock}) \
             RETURNING id",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<crate::ids::DeliveryId>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut claimed = Entity::find().filter(Column::Id.is_in(ids)).all(db).await?;
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    /// Sends one claimed delivery and settles it.
    async fn attempt(
        &self,
        db: &DatabaseConnection,
        row: delivery::Model,
    ) -> Result<(ChannelKind, Outcome), DbErr> {
        let channel_kind = ChannelKind::parse(&row.channel).unwrap_or(ChannelKind::Email);
        let attempt = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        let result = match (
            self.channels.get(channel_kind),
            serde_json::from_str::<Rendered>(&row.content),
        ) {
            (None, _) => Err(SendError::Retry {
                reason: format!("the {} channel is not configured here", row.channel),
                after: None,
            }),
            (_, Err(e)) => Err(SendError::Rejected(format!("unreadable message: {e}"))),
            (Some(channel), Ok(message)) => {
                let key = row.id.to_string();
                let outgoing = Outgoing {
                    key: &key,
                    to: &row.address,
                    name: &row.recipient_name,
                    message: &message,
                };
                let limit = self.policy.retry.claim_ttl / 2;
                match tokio::time::timeout(limit, channel.send(outgoing)).await {
                    Ok(result) => result,
                    Err(_) => Err(SendError::Retry {
                        reason: format!("no answer within {} s", limit.as_secs()),
                        after: None,
                    }),
                }
            }
        };
        let outcome = self.settle(db, &row, attempt, result).await?;
        Ok((channel_kind, outcome))
    }

    async fn settle(
        &self,
        db: &DatabaseConnection,
        row: &delivery::Model,
        attempt: u32,
        result: Result<super::Sent, SendError>,
    ) -> Result<Outcome, DbErr> {
        let now = self.clock.now();
        let mut update = Entity::update_many()
            .col_expr(Column::ClaimedBy, Expr::value(Option::<String>::None))
            .col_expr(
                Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now));
        let outcome = match result {
            Ok(sent) => {
                update = update
                    .col_expr(Column::Status, Expr::value(DeliveryStatus::Sent.as_str()))
                    .col_expr(
                        Column::ProviderId,
                        Expr::value(Some(truncated(&sent.provider_id))),
                    )
                    .col_expr(Column::SentAt, Expr::value(Some(now)))
                    .col_expr(Column::LastError, Expr::value(Option::<String>::None))
                    .col_expr(Column::FailureClass, Expr::value(Option::<String>::None));
                Outcome::Sent
            }
            Err(err) => {
                let (class, retry_after) = match &err {
                    SendError::Rejected(_) => ("rejected", None),
                    SendError::Unregistered(_) => ("unregistered", None),
                    SendError::Retry { after, .. } => ("transient", Some(*after)),
                };
                let status = match retry_after {
                    Some(after) if attempt < self.policy.retry.max_attempts => {
                        let wait = self
                            .policy
                            .retry
                            .jittered(attempt)
                            .max(after.unwrap_or_default());
                        update =
                            update.col_expr(Column::NextAttemptAt, Expr::value(now + chrono(wait)));
                        DeliveryStatus::Failed
                    }
                    _ => DeliveryStatus::Dead,
                };
                tracing::warn!(
                    delivery_id = %row.id, kind = %row.kind, channel = %row.channel,
                    attempt, error = %err, status = status.as_str(), "notification delivery failed"
                );
                update = update
                    .col_expr(Column::Status, Expr::value(status.as_str()))
                    .col_expr(
                        Column::LastError,
                        Expr::value(Some(truncated(&err.to_string()))),
                    )
                    .col_expr(Column::FailureClass, Expr::value(Some(class)));
                if matches!(err, SendError::Unregistered(_))
                    && let Some(device) = row.device_id
                {
                    devices::forget(db, device).await?;
                }
                if status == DeliveryStatus::Dead {
                    Outcome::Dead
                } else {
                    Outcome::Retrying
                }
            }
        };
        if row.secret && outcome != Outcome::Retrying {
            // A settled secret message (a code, a one-time link) is not kept.
            update = update.col_expr(Column::Content, Expr::value(ERASED));
        }
        update
            .filter(Column::Id.eq(row.id))
            .filter(Column::ClaimedBy.eq(self.holder.as_str()))
            .filter(Column::Status.eq(DeliveryStatus::Sending.as_str()))
            .filter(Column::Attempts.eq(row.attempts))
            .exec(db)
            .await?;
        Ok(outcome)
    }
}
