//! Scheduled jobs, declared by the domains that own them.
//!
//! A domain lists its jobs (`trellis_scheduling::jobs`): a name, a cron
//! setting with its default, a time-zone setting, a lease and an async
//! function over a [`JobContext`]. The gateway's scheduler runs every
//! registered job when its schedule says, and `POST /internal/cron/{name}`
//! runs one now; both go through [`run_under_lease`], so a job runs on one
//! instance at a time however many gateways share the database.

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use sea_orm::DatabaseConnection;

use crate::{
    clock::SharedClock,
    lease,
    settings::{Setting, Settings},
    types::TimeZone,
};

/// What a job run may use.
#[derive(Clone)]
pub struct JobContext {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Now.
    pub clock: SharedClock,
    /// Runtime settings (the job's own, and any other it reads).
    pub settings: Settings,
}

impl fmt::Debug for JobContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobContext").finish_non_exhaustive()
    }
}

/// Why a job run failed (logged with its cause; the trigger answers 500).
#[derive(Debug, thiserror::Error)]
#[error("job failed: {0}")]
pub struct JobError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl JobError {
    /// Wraps any error.
    pub fn from_err(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(err))
    }
}

/// What a run reports: a small JSON summary (counts, the window it covered).
pub type JobReport = serde_json::Value;

type JobFn = dyn Fn(JobContext) -> Pin<Box<dyn Future<Output = Result<JobReport, JobError>> + Send>>
    + Send
    + Sync;

/// A scheduled job.
#[derive(Clone)]
pub struct Job {
    /// Unique name: the lease's name and the `/internal/cron/{name}` segment.
    pub name: &'static str,
    /// One sentence for operators.
    pub description: &'static str,
    /// When it runs: a five-field cron expression setting.
    pub schedule: &'static Setting<String>,
    /// The zone the schedule is read in.
    pub time_zone: &'static Setting<String>,
    /// How long one run may hold the job before another instance may take it.
    pub lease: Duration,
    run: Arc<JobFn>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("schedule", &self.schedule.key)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// Declares a job whose body is `run`.
    pub fn new<F, Fut>(
        name: &'static str,
        description: &'static str,
        schedule: &'static Setting<String>,
        time_zone: &'static Setting<String>,
        lease: Duration,
        run: F,
    ) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<JobReport, JobError>> + Send + 'static,
    {
        Self {
            name,
            description,
            schedule,
            time_zone,
            lease,
            run: Arc::new(move |ctx| Box::pin(run(ctx))),
        }
    }

    /// The next time the schedule fires after `now`, from current settings.
    pub async fn next_run(&self, settings: &Settings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let zone =
            TimeZone::parse(&settings.get(self.time_zone).await).map_or(Tz::UTC, TimeZone::tz);
        let cron = Cron::new(&settings.get(self.schedule).await).parse().ok()?;
        cron.find_next_occurrence(&now.with_timezone(&zone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The outcome of asking a job to run.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutcome {
    /// False when another instance held the job's lease (nothing was done here).
    pub ran: bool,
    /// The run's summary (`null` when it did not run).
    pub report: JobReport,
}

/// Runs `job` if its lease can be taken by `holder`, and gives the lease back.
pub async fn run_under_lease(
    job: &Job,
    ctx: &JobContext,
    holder: &str,
) -> Result<JobOutcome, JobError> {
    let ttl = chrono::Duration::from_std(job.lease).unwrap_or(chrono::Duration::minutes(5));
    let taken = lease::acquire(&ctx.db, &ctx.clock, job.name, holder, ttl)
        .await
        .map_err(JobError::from_err)?;
    if !taken {
        return Ok(JobOutcome {
            ran: false,
            report: JobReport::Null,
        });
    }
    let result = (job.run)(ctx.clone()).await;
    if let Err(err) = lease::release(&ctx.db, job.name, holder).await {
        tracing::warn!(job = job.name, error = %err, "could not release a job lease; it expires by itself");
    }
    Ok(JobOutcome {
        ran: true,
        report: result?,
    })
}

/// Validates a cron-expression setting (five fields). Takes `&String`
/// because that is the shape of a `Setting<String>` validator.
#[allow(clippy::ptr_arg)]
pub fn validate_cron(expr: &String) -> Result<(), String> {
    Cron::new(expr)
        .parse()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Validates a time-zone setting (an IANA name).
#[allow(clippy::ptr_arg)]
pub fn validate_zone(zone: &String) -> Result<(), String> {
    TimeZone::parse(zone).map(drop).map_err(String::from)
}
