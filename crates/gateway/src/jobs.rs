//! Scheduled jobs: recurring schedules booked ahead, then tomorrow's
//! appointment reminders, daily.
//!
//! The scheduler sleeps until the next occurrence of the `reminders.cron`
//! setting in the `reminders.time_zone` zone (re-reading both every 30 s, so
//! changes apply without a restart). A run takes the `reminders` lease, so one
//! instance works at a time, and claims each appointment atomically (see
//! `trellis_scheduling::service::ReminderService`), so even overlapping runs
//! remind every appointment exactly once. `POST /internal/cron/reminders`
//! runs the same job.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use poem_openapi::Object;
use tokio_util::sync::CancellationToken;
use trellis_kernel::Timestamp;
use trellis_kernel::{
    contact::parse_time_zone,
    lease,
    settings::{Setting, SettingDef},
};
use trellis_scheduling::slots::{Interval, resolve};

use crate::{error::ApiError, state::AppState};

/// When reminders go out (five-field cron, in `reminders.time_zone`).
pub static REMINDER_CRON: Setting<String> = Setting {
    key: "reminders.cron",
    description: "When tomorrow's appointment reminders are sent (cron, five fields)",
    default: || "0 8 * * *".to_string(),
    validate: |expr| {
        Cron::new(expr)
            .parse()
            .map(|_| ())
            .map_err(|e| e.to_string())
    },
};

/// The zone of the reminder schedule and of "tomorrow".
pub static REMINDER_ZONE: Setting<String> = Setting {
    key: "reminders.time_zone",
    description: "IANA zone of the reminder schedule and of the day being reminded",
    default: || "UTC".to_string(),
    validate: |zone| parse_time_zone(zone).map(|_| ()).map_err(String::from),
};

/// How far ahead recurring schedules are turned into appointments.
pub static RECURRING_HORIZON_WEEKS: Setting<u32> = Setting {
    key: "scheduling.recurring_horizon_weeks",
    description: "How many weeks ahead recurring schedules are booked",
    default: || 8,
    validate: |weeks| {
        if (1..=52).contains(weeks) {
            Ok(())
        } else {
            Err("must be 1 to 52".into())
        }
    },
};

/// Every job setting, for the settings registry.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![&REMINDER_CRON, &REMINDER_ZONE, &RECURRING_HORIZON_WEEKS]
}

/// What a recurring-schedule run did.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecurringReport {
    /// False when another instance held the lease.
    pub ran: bool,
    /// Appointments created.
    pub created: u32,
    /// Occurrences skipped because their time was taken.
    pub conflicts: u32,
}

/// Books recurring schedules up to the horizon (one instance at a time).
pub async fn run_recurring(state: &AppState) -> Result<RecurringReport, ApiError> {
    let holder = state.instance_id.to_string();
    let mut report = RecurringReport {
        ran: false,
        created: 0,
        conflicts: 0,
    };
    if !lease::acquire(
        &state.db,
        &state.clock,
        "recurring",
        &holder,
        Duration::minutes(10),
    )
    .await
    .map_err(ApiError::internal)?
    {
        return Ok(report);
    }
    let horizon = state.settings.get(&RECURRING_HORIZON_WEEKS).await;
    let result = state
        .scheduling
        .recurring
        .materialize_all(&state.db, horizon)
        .await;
    lease::release(&state.db, "recurring", &holder)
        .await
        .map_err(ApiError::internal)?;
    let done = result?;
    report.ran = true;
    report.created = u32::try_from(done.created.len()).unwrap_or(u32::MAX);
    report.conflicts = u32::try_from(done.conflicts.len()).unwrap_or(u32::MAX);
    for conflict in &done.conflicts {
        tracing::info!(start_at = %conflict.start_at, code = %conflict.code, "recurring occurrence skipped");
    }
    Ok(report)
}

/// What a reminder run did.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReminderReport {
    /// False when another instance held the lease (nothing was done here).
    pub ran: bool,
    /// Appointments starting from...
    pub window_start: Timestamp,
    /// ...until (exclusive): tomorrow in the reminder zone.
    pub window_end: Timestamp,
    /// Reminders queued for delivery (each once; the outbox retries failures).
    pub queued: u32,
}

async fn zone(state: &AppState) -> Tz {
    parse_time_zone(&state.settings.get(&REMINDER_ZONE).await).unwrap_or(Tz::UTC)
}

/// Reminds every not-yet-reminded appointment starting tomorrow.
pub async fn run_reminders(state: &AppState) -> Result<ReminderReport, ApiError> {
    let zone = zone(state).await;
    let today = state.clock.now().with_timezone(&zone).date_naive();
    let window = Interval::new(
        resolve(zone, today + Duration::days(1), NaiveTime::MIN),
        resolve(zone, today + Duration::days(2), NaiveTime::MIN),
    );
    let mut report = ReminderReport {
        ran: false,
        window_start: window.start.into(),
        window_end: window.end.into(),
        queued: 0,
    };
    let holder = state.instance_id.to_string();
    let acquired = lease::acquire(
        &state.db,
        &state.clock,
        "reminders",
        &holder,
        Duration::minutes(5),
    )
    .await
    .map_err(ApiError::internal)?;
    if !acquired {
        return Ok(report);
    }
    report.ran = true;
    let queued = state
        .scheduling
        .reminders
        .remind_due(&state.db, window)
        .await;
    let released = lease::release(&state.db, "reminders", &holder).await;
    report.queued = queued?;
    released.map_err(ApiError::internal)?;
    tracing::info!(queued = report.queued, "reminders queued");
    Ok(report)
}
/// The next run after `now`, from the current settings.
async fn next_run(state: &AppState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let zone = zone(state).await;
    let expr = state.settings.get(&REMINDER_CRON).await;
    let cron = Cron::new(&expr).parse().ok()?;
    cron.find_next_occurrence(&now.with_timezone(&zone), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Runs reminders on schedule until `shutdown`.
pub async fn scheduler(state: AppState, shutdown: CancellationToken) {
    let mut target = next_run(&state, state.clock.now()).await;
    loop {
        let now = state.clock.now();
        let wait = target
            .map(|t| (t - now).to_std().unwrap_or_default())
            .unwrap_or(StdDuration::from_secs(30))
            .min(StdDuration::from_secs(30));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let now = state.clock.now();
        match target {
            Some(t) if now >= t => {
                if let Err(err) = run_recurring(&state).await {
                    tracing::error!(error = ?err, "scheduled recurring bookings failed");
                }
                if let Err(err) = run_reminders(&state).await {
                    tracing::error!(error = ?err, "scheduled reminders failed");
                }
                target = next_run(&state, now).await;
            }
            _ => target = next_run(&state, now).await,
        }
    }
}
