//! The job runner: every domain's scheduled jobs, one scheduler.
//!
//! Domains declare their jobs (`trellis_<domain>::jobs::jobs`); [`registry`]
//! lists them, one line per domain. [`scheduler`] sleeps until the next job
//! is due by its cron and time-zone settings (re-reading them at least every
//! 30 s, so changes apply without a restart) and runs it under its lease, so
//! one instance works at a time. `POST /internal/cron/{job}` runs any of them
//! now through [`run`].

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use trellis_credentials_vault::Vault;
use trellis_kernel::{
    jobs::{Job, JobContext, JobError, JobOutcome, run_under_lease},
    ports::People,
    settings::SettingDef,
};
use trellis_scheduling::Scheduling;

use crate::state::AppState;

/// Every registered job. Adding a domain's jobs is one line here.
pub fn registry(
    scheduling: &Scheduling,
    vault: &Vault,
    billing: &trellis_billing::Billing,
    people: Arc<dyn People>,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    jobs.extend(trellis_scheduling::jobs::jobs(scheduling));
    jobs.extend(trellis_messaging::notifications::jobs::jobs(people));
    jobs.extend(trellis_credentials_vault::jobs::jobs(vault));
    jobs.extend(trellis_billing::jobs::jobs(billing));
    jobs
}

/// Every runtime setting the domains' jobs declare, for the settings registry.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    let mut settings = trellis_scheduling::jobs::settings();
    settings.extend(trellis_messaging::notifications::jobs::settings());
    settings.extend(trellis_credentials_vault::jobs::settings());
    settings.extend(trellis_billing::jobs::settings());
    settings
}

fn context(state: &AppState) -> JobContext {
    JobContext {
        db: state.db.clone(),
        clock: state.clock.clone(),
        settings: state.settings.clone(),
    }
}

/// The job called `name`, if registered.
pub fn find<'a>(state: &'a AppState, name: &str) -> Option<&'a Job> {
    state.jobs.iter().find(|job| job.name == name)
}

/// Runs `job` now, under its lease.
pub async fn run(state: &AppState, job: &Job) -> Result<JobOutcome, JobError> {
    // A holder per run: a long run that outlives its lease can never give
    // back a lease a newer run (even on this instance) has since taken.
    let holder = format!("{}:{}", state.instance_id, uuid::Uuid::now_v7());
    run_under_lease(job, &context(state), &holder).await
}

/// When each job is next due, from the current settings.
async fn next_runs(state: &AppState, now: DateTime<Utc>) -> Vec<Option<DateTime<Utc>>> {
    let mut next = Vec::with_capacity(state.jobs.len());
    for job in state.jobs.iter() {
        next.push(job.next_run(&state.settings, now).await);
    }
    next
}

/// Runs every job on its schedule until `shutdown`.
pub async fn scheduler(state: AppState, shutdown: CancellationToken) {
    let mut targets = next_runs(&state, state.clock.now()).await;
    loop {
        let now = state.clock.now();
        let wait = targets
            .iter()
            .flatten()
            .min()
            .map(|t| (*t - now).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(30))
            .min(Duration::from_secs(30));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let now = state.clock.now();
        for (job, target) in state.jobs.iter().zip(&targets) {
            if target.is_some_and(|t| now >= t) {
                match run(&state, job).await {
                    Ok(outcome) if outcome.ran => {
                        tracing::info!(job = job.name, report = %outcome.report, "scheduled job ran")
                    }
                    Ok(_) => tracing::debug!(job = job.name, "another instance holds the job"),
                    Err(err) => {
                        tracing::error!(job = job.name, error = ?err, "scheduled job failed")
                    }
                }
            }
        }
        targets = next_runs(&state, now).await;
    }
}
