//! Billing's scheduled job and the settings it reads.
//!
//! - `invoices_overdue` (daily): sent invoices past their due date become
//!   `overdue` and each client is told once (`invoice_overdue`).
//!
//! The gateway's scheduler runs it under a lease on its cron setting;
//! `POST /internal/cron/invoices_overdue` runs it now.

use std::time::Duration;

use serde_json::json;
use trellis_kernel::{
    jobs::{Job, JobContext, JobError, JobReport, validate_cron, validate_zone},
    settings::{Setting, SettingDef},
};

use crate::Billing;

/// When overdue invoices are looked for (cron, five fields).
pub static OVERDUE_CRON: Setting<String> = Setting {
    key: "billing.invoices_overdue.cron",
    description: "When sent invoices past their due date become overdue (cron, five fields)",
    default: || "30 6 * * *".to_string(),
    validate: validate_cron,
};

/// The zone of that schedule.
pub static OVERDUE_ZONE: Setting<String> = Setting {
    key: "billing.invoices_overdue.time_zone",
    description: "IANA zone of the overdue invoice schedule",
    default: || "UTC".to_string(),
    validate: validate_zone,
};

/// Every runtime setting billing declares.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![&OVERDUE_CRON, &OVERDUE_ZONE]
}

/// Billing's jobs, bound to its services.
pub fn jobs(billing: &Billing) -> Vec<Job> {
    let billing = billing.clone();
    vec![Job::new(
        "invoices_overdue",
        "Marks sent invoices past their due date overdue and tells each client once",
        &OVERDUE_CRON,
        &OVERDUE_ZONE,
        Duration::from_secs(300),
        move |ctx| {
            let billing = billing.clone();
            async move { overdue(&billing, &ctx).await }
        },
    )]
}

async fn overdue(billing: &Billing, ctx: &JobContext) -> Result<JobReport, JobError> {
    let marked = billing
        .invoices
        .mark_overdue(&ctx.db)
        .await
        .map_err(JobError::from_err)?;
    Ok(json!({ "overdue": marked }))
}
