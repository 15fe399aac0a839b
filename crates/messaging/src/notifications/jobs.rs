//! The notification half's scheduled job: the daily delivery watchdog.

use std::{sync::Arc, time::Duration};

use trellis_kernel::{
    jobs::{Job, JobError, validate_cron, validate_zone},
    ports::People,
    settings::{Setting, SettingDef},
};

use super::watchdog;

/// When the watchdog runs (cron, five fields).
pub static WATCHDOG_CRON: Setting<String> = Setting {
    key: "notifications.watchdog_cron",
    description: "When stuck and failed notification deliveries are re-queued and staff alerted (cron, five fields)",
    default: || "0 9 * * *".to_string(),
    validate: validate_cron,
};

/// The zone of the watchdog's cron expression.
pub static WATCHDOG_ZONE: Setting<String> = Setting {
    key: "notifications.watchdog_time_zone",
    description: "IANA zone of the notification watchdog's schedule",
    default: || "UTC".to_string(),
    validate: validate_zone,
};

/// The job's name (`POST /internal/cron/notifications-watchdog` runs it now).
pub const WATCHDOG: &str = "notifications-watchdog";

/// Every runtime setting the notification half declares.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![&WATCHDOG_CRON, &WATCHDOG_ZONE]
}

/// The notification half's jobs.
pub fn jobs(people: Arc<dyn People>) -> Vec<Job> {
    vec![Job::new(
        WATCHDOG,
        "Re-queues stuck and failed notification deliveries of the last day and alerts staff once a day",
        &WATCHDOG_CRON,
        &WATCHDOG_ZONE,
        Duration::from_secs(300),
        move |ctx| {
            let people = people.clone();
            async move {
                let report = watchdog::run(&ctx.db, &ctx.clock, people.as_ref())
                    .await
                    .map_err(JobError::from_err)?;
                serde_json::to_value(report).map_err(JobError::from_err)
            }
        },
    )]
}
