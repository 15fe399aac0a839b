//! The daily look at what did not go out.
//!
//! It re-queues the deliveries of the last 24 hours that another try may
//! fix (failed ones, dead ones that ran out of attempts on a transient
//! error, and ones stuck `sending` past their claim), then, if anything
//! failed in that window, tells staff once with a
//! `delivery_failures_alert` summary by channel and error. The alert goes
//! through the same notification pipeline, and `notification_alerts` (one
//! row per UTC day, inserted first) keeps it to one a day however often the
//! watchdog runs and however many instances run it.

use std::collections::BTreeMap;
use trellis_kernel::db::WriteTransaction;

use chrono::Duration as Span;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use serde::Serialize;
use trellis_kernel::{
    SharedClock,
    notify::{self, ChannelKind, DeliveryFailuresParams, FailureCount, Notice},
    ports::People,
};

use super::{
    deliveries::{ERASED, requeue},
    model::DeliveryStatus,
};
use crate::entities::{
    alert,
    delivery::{Column, Entity},
};

/// What a watchdog run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WatchdogReport {
    /// Deliveries put back in the queue.
    pub requeued: u64,
    /// Deliveries of the last day that failed at least once and are not sent.
    pub failing: u64,
    /// Staff were alerted by this run.
    pub alerted: bool,
}

/// Runs the watchdog once.
pub async fn run(
    db: &DatabaseConnection,
    clock: &SharedClock,
    people: &dyn People,
) -> Result<WatchdogReport, DbErr> {
    let now = clock.now();
    let since = now - Span::hours(24);
    let txn = db.begin_write().await?;
    // Write first (see the transactions rule in ARCHITECTURE.md).
    let retryable = Condition::any()
        .add(Column::Status.eq(DeliveryStatus::Failed.as_str()))
        .add(
            Condition::all()
                .add(Column::Status.eq(DeliveryStatus::Dead.as_str()))
                .add(Column::FailureClass.eq("transient")),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(DeliveryStatus::Sending.as_str()))
                .add(Column::ClaimedUntil.lte(now)),
        );
    let requeued = requeue()
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(retryable)
        .filter(Column::UpdatedAt.gte(since))
        .filter(Column::Content.ne(ERASED))
        .exec(&txn)
        .await?
        .rows_affected;

    let failing_rows: Vec<(String, Option<String>, Option<String>, String)> = Entity::find()
        .select_only()
        .column(Column::Channel)
        .column(Column::LastError)
        .column(Column::FailureClass)
        .column(Column::Status)
        .filter(Column::FailureClass.is_not_null())
        .filter(Column::Status.ne(DeliveryStatus::Sent.as_str()))
        .filter(Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut counts: BTreeMap<(ChannelKind, String), u64> = BTreeMap::new();
    let mut dead = 0;
    for (channel, error, _class, status) in &failing_rows {
        let Some(channel) = ChannelKind::parse(channel) else {
            continue;
        };
        let error: String = error
            .as_deref()
            .unwrap_or("unknown")
            .chars()
            .take(120)
            .collect();
        *counts.entry((channel, error)).or_default() += 1;
        if status == DeliveryStatus::Dead.as_str() {
            dead += 1;
        }
    }
    let mut report = WatchdogReport {
        requeued,
        failing: failing_rows.len() as u64,
        alerted: false,
    };
    if report.failing > 0 {
        let day = now.date_naive();
        let first_today = alert::Entity::insert(alert::ActiveModel {
            day: Set(day),
            sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(alert::Column::Day)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?
            > 0;
        if first_today {
            let mut failures: Vec<FailureCount> = counts
                .into_iter()
                .map(|((channel, error), count)| FailureCount {
                    channel,
                    error,
                    count,
                })
                .collect();
            failures.sort_by_key(|f| std::cmp::Reverse(f.count));
            let params = DeliveryFailuresParams {
                day,
                requeued,
                dead,
                failures,
            };
            for staff in people.staff(&txn).await? {
                notify::request(
                    &txn,
                    clock,
                    "notifications-watchdog",
                    staff,
                    Notice::DeliveryFailuresAlert(params.clone()),
                )
                .await?;
            }
            report.alerted = true;
        }
    }
    txn.commit().await?;
    Ok(report)
}
