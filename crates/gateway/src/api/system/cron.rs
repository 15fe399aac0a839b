//! `/internal/cron/*`: jobs a scheduler can trigger (guarded by `CRON_SECRET`).

use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use crate::api::ApiTags;
use crate::{
    auth::CronAuth,
    jobs::{RecurringReport, ReminderReport, run_recurring, run_reminders},
    problems,
    state::AppState,
};

problems!(
    /// Errors of the cron triggers (404 while `CRON_SECRET` is unset).
    pub CronProblem => 401, 404
);

/// Cron triggers.
#[derive(Debug, Clone, Copy, Default)]
pub struct CronApi;

#[OpenApi(prefix_path = "/internal/cron", tag = "ApiTags::Scheduling")]
impl CronApi {
    /// Send tomorrow's appointment reminders now: the same job the scheduler
    /// runs daily. Safe to call repeatedly: each appointment is reminded once.
    #[oai(path = "/reminders", method = "post", operation_id = "run_reminders")]
    async fn reminders(
        &self,
        _auth: CronAuth,
        state: Data<&AppState>,
    ) -> Result<Json<ReminderReport>, CronProblem> {
        Ok(Json(run_reminders(&state).await?))
    }

    /// Book recurring schedules up to the horizon now (the daily job's first step).
    #[oai(path = "/recurring", method = "post", operation_id = "run_recurring")]
    async fn recurring(
        &self,
        _auth: CronAuth,
        state: Data<&AppState>,
    ) -> Result<Json<RecurringReport>, CronProblem> {
        Ok(Json(run_recurring(&state).await?))
    }
}
