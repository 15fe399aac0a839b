//! `/internal/cron/{job}`: run any registered job now (guarded by `CRON_SECRET`).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path};
use serde::Serialize;

use crate::{
    api::{ApiTags, json::JsonResponse},
    auth::CronAuth,
    error::{ApiError, Problems, status::*},
    jobs,
    state::AppState,
};

/// 401 for a wrong secret; 404 while `CRON_SECRET` is unset (the triggers do
/// not exist) or for a job that does not exist.
type CronProblem = Problems<{ UNAUTHORIZED | NOT_FOUND }>;

/// What a triggered run did.
#[derive(Debug, Clone, Object, Serialize)]
pub struct JobRun {
    /// The job.
    pub job: String,
    /// False when another instance held the job's lease (nothing was done here).
    pub ran: bool,
    /// The job's summary (counts, the window it covered); `null` when it did not run.
    pub report: serde_json::Value,
}

/// Cron triggers.
#[derive(Debug, Clone, Copy, Default)]
pub struct CronApi;

#[OpenApi(prefix_path = "/internal/cron", tag = "ApiTags::System")]
impl CronApi {
    /// Run a registered job now: the same run the scheduler makes on the
    /// job's schedule, under the same lease, so it is safe to call
    /// repeatedly (`reminders` reminds each appointment once; `recurring`
    /// books each occurrence once; `notifications-watchdog` re-queues the
    /// day's stuck and failed deliveries and alerts staff at most once a
    /// day).
    #[oai(path = "/:job", method = "post", operation_id = "run_job")]
    async fn run(
        &self,
        _auth: CronAuth,
        state: Data<&AppState>,
        /// The job's name: `reminders`, `recurring`, `notifications-watchdog`.
        job: Path<String>,
    ) -> Result<JsonResponse<JobRun>, CronProblem> {
        let Some(found) = jobs::find(&state, &job.0) else {
            return Err(ApiError::not_found(
                "cron.unknown_job",
                format!("no job is called {:?}", job.0),
            )
            .into());
        };
        let outcome = jobs::run(&state, found).await.map_err(ApiError::internal)?;
        Ok(JsonResponse(JobRun {
            job: found.name.to_string(),
            ran: outcome.ran,
            report: outcome.report,
        }))
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::testing::assert_same_json;

    use super::*;

    #[test]
    fn serde_writes_a_job_run_as_to_json_does() {
        let skipped = assert_same_json(&JobRun {
            job: "reminders".into(),
            ran: false,
            report: serde_json::Value::Null,
        });
        assert_eq!(skipped.get("report"), Some(&serde_json::Value::Null));
        assert_same_json(&JobRun {
            job: "recurring".into(),
            ran: true,
            report: serde_json::json!({ "created": 3, "window": ["a", "b"], "rate": 0.5 }),
        });
    }
}
