//! Scheduling's scheduled jobs and the settings they read.
//!
//! - `recurring` books recurring schedules ahead, up to
//!   `scheduling.recurring_horizon_weeks`;
//! - `reminders` queues tomorrow's reminders (in `reminders.time_zone`),
//!   each appointment once (see [`ReminderService`](crate::service::ReminderService)).
//!
//! The gateway's scheduler runs them under a lease on their cron settings;
//! `POST /internal/cron/{name}` runs one now.

use std::time::Duration;

use chrono::{Duration as Days, NaiveTime};
use chrono_tz::Tz;
use serde_json::json;
use trellis_kernel::{
    jobs::{Job, JobContext, JobError, JobReport, validate_cron, validate_zone},
    settings::{Setting, SettingDef},
    types::TimeZone,
};

use crate::{
    Scheduling,
    slots::{Interval, resolve},
};

/// When tomorrow's reminders are queued (cron, five fields).
pub static REMINDER_CRON: Setting<String> = Setting {
    key: "reminders.cron",
    description: "When tomorrow's appointment reminders are sent (cron, five fields)",
    default: || "0 8 * * *".to_string(),
    validate: validate_cron,
};

/// The zone of the reminder schedule and of "tomorrow".
pub static REMINDER_ZONE: Setting<String> = Setting {
    key: "reminders.time_zone",
    description: "IANA zone of the reminder schedule and of the day being reminded",
    default: || "UTC".to_string(),
    validate: validate_zone,
};

/// When recurring schedules are booked ahead (cron, five fields).
pub static RECURRING_CRON: Setting<String> = Setting {
    key: "recurring.cron",
    description: "When recurring schedules are booked ahead (cron, five fields)",
    default: || "0 3 * * *".to_string(),
    validate: validate_cron,
};

/// The zone of the recurring schedule's cron expression.
pub static RECURRING_ZONE: Setting<String> = Setting {
    key: "recurring.time_zone",
    description: "IANA zone of the recurring-bookings schedule",
    default: || "UTC".to_string(),
    validate: validate_zone,
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

/// Every runtime setting scheduling declares.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![
        &REMINDER_CRON,
        &REMINDER_ZONE,
        &RECURRING_CRON,
        &RECURRING_ZONE,
        &RECURRING_HORIZON_WEEKS,
    ]
}

/// Scheduling's jobs, bound to its services.
pub fn jobs(scheduling: &Scheduling) -> Vec<Job> {
    let reminders = scheduling.clone();
    let recurring = scheduling.clone();
    vec![
        Job::new(
            "recurring",
            "Books recurring schedules up to the horizon",
            &RECURRING_CRON,
            &RECURRING_ZONE,
            Duration::from_secs(600),
            move |ctx| {
                let scheduling = recurring.clone();
                async move { book_recurring(&scheduling, &ctx).await }
            },
        ),
        Job::new(
            "reminders",
            "Queues a reminder for every appointment starting tomorrow",
            &REMINDER_CRON,
            &REMINDER_ZONE,
            Duration::from_secs(300),
            move |ctx| {
                let scheduling = reminders.clone();
                async move { remind_tomorrow(&scheduling, &ctx).await }
            },
        ),
    ]
}

async fn book_recurring(scheduling: &Scheduling, ctx: &JobContext) -> Result<JobReport, JobError> {
    let horizon = ctx.settings.get(&RECURRING_HORIZON_WEEKS).await;
    let done = scheduling
        .recurring
        .materialize_all(&ctx.db, horizon)
        .await
        .map_err(JobError::from_err)?;
    for conflict in &done.conflicts {
        tracing::info!(start_at = %conflict.start_at, code = %conflict.code, "recurring occurrence skipped");
    }
    Ok(json!({
        "created": done.created.len(),
        "conflicts": done.conflicts.len(),
    }))
}

/// Tomorrow, as an instant range, in `zone`.
pub fn tomorrow(zone: Tz, now: chrono::DateTime<chrono::Utc>) -> Interval {
    let today = now.with_timezone(&zone).date_naive();
    Interval::new(
        resolve(zone, today + Days::days(1), NaiveTime::MIN),
        resolve(zone, today + Days::days(2), NaiveTime::MIN),
    )
}

async fn remind_tomorrow(scheduling: &Scheduling, ctx: &JobContext) -> Result<JobReport, JobError> {
    let zone =
        TimeZone::parse(&ctx.settings.get(&REMINDER_ZONE).await).map_or(Tz::UTC, TimeZone::tz);
    let window = tomorrow(zone, ctx.clock.now());
    let queued = scheduling
        .reminders
        .remind_due(&ctx.db, window)
        .await
        .map_err(JobError::from_err)?;
    tracing::info!(queued, "reminders queued");
    Ok(json!({
        "window_start": trellis_kernel::Timestamp::from(window.start).to_rfc3339(),
        "window_end": trellis_kernel::Timestamp::from(window.end).to_rfc3339(),
        "queued": queued,
    }))
}
