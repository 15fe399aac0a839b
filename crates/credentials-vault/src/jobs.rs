//! The vault's scheduled job and the settings it reads.
//!
//! - `vault_rotation_due` (daily): records one
//!   [`ROTATION_DUE`](crate::events::ROTATION_DUE) event per organization
//!   with credentials past their rotation date.
//!
//! The gateway's scheduler runs it under a lease on its cron setting;
//! `POST /internal/cron/vault_rotation_due` runs it now.

use std::time::Duration;

use serde_json::json;
use trellis_kernel::{
    jobs::{Job, JobContext, JobError, JobReport, validate_cron, validate_zone},
    settings::{Setting, SettingDef},
};

use crate::Vault;

/// When credentials due for rotation are looked for (cron, five fields).
pub static ROTATION_DUE_CRON: Setting<String> = Setting {
    key: "vault.rotation_due.cron",
    description: "When owners hear of credentials due for rotation (cron, five fields)",
    default: || "0 7 * * *".to_string(),
    validate: validate_cron,
};

/// The zone of that schedule.
pub static ROTATION_DUE_ZONE: Setting<String> = Setting {
    key: "vault.rotation_due.time_zone",
    description: "IANA zone of the credential rotation reminder schedule",
    default: || "UTC".to_string(),
    validate: validate_zone,
};

/// Every runtime setting the vault declares.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![&ROTATION_DUE_CRON, &ROTATION_DUE_ZONE]
}

/// The vault's jobs, bound to its services.
pub fn jobs(vault: &Vault) -> Vec<Job> {
    let vault = vault.clone();
    vec![Job::new(
        "vault_rotation_due",
        "Records one credential.rotation_due event per organization with credentials past their rotation date",
        &ROTATION_DUE_CRON,
        &ROTATION_DUE_ZONE,
        Duration::from_secs(300),
        move |ctx| {
            let vault = vault.clone();
            async move { rotation_due(&vault, &ctx).await }
        },
    )]
}

async fn rotation_due(vault: &Vault, ctx: &JobContext) -> Result<JobReport, JobError> {
    let (orgs, credentials) = vault
        .credentials
        .record_rotation_due(&ctx.db)
        .await
        .map_err(JobError::from_err)?;
    Ok(json!({ "organizations": orgs, "credentials": credentials }))
}
