//! `/api/v1/orgs/{org_id}/timer`: the caller's timer. A running timer is a
//! time entry without `end_at`; each person has at most one per
//! organization.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};
use serde::Serialize;
use trellis_kernel::id::OrgId;
use trellis_time_tracking::model::{StartTimer, TimeEntryView};

use crate::api::{ApiTags, common::Created, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// The caller's timer: whether one runs, and its entry.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct TimerStatus {
    /// True while a timer runs.
    pub running: bool,
    /// The running entry (it has no `end_at`); absent when no timer runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<TimeEntryView>,
}

impl From<Option<TimeEntryView>> for TimerStatus {
    fn from(entry: Option<TimeEntryView>) -> Self {
        Self {
            running: entry.is_some(),
            entry,
        }
    }
}

/// The caller's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl TimerApi {
    /// The caller's timer in the organization (members). Always 200:
    /// `{"running": false}` when no timer runs, so a client can ask on
    /// every page load without treating "none" as an error.
    #[oai(path = "/:org_id/timer", method = "get", operation_id = "get_timer")]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
    ) -> Result<JsonResponse<TimerStatus>, Problems<{ RATE_LIMITED | ORG_MEMBER }>> {
        let running = state.time.entries.running(&state.db, &member).await?;
        Ok(JsonResponse(running.into()))
    }

    /// Start the caller's timer now on a project (and optionally a task),
    /// as a new running entry (members). A timer already running is
    /// stopped at the same instant first, so switching tasks is one call
    /// (one that ran for less than the rounding grid is dropped). 409
    /// `project.archived` for an archived project, 409 `time_entry.overlap`
    /// when later time of the caller's is already logged, 403
    /// `time_entry.locked` before the lock date.
    #[oai(
        path = "/:org_id/timer/start",
        method = "post",
        operation_id = "start_timer"
    )]
    async fn start(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<StartTimer>,
    ) -> Result<
        Created<TimeEntryView>,
        Problems<
            {
                RATE_LIMITED
                    | ORG_MEMBER
                    | FORBIDDEN
                    | NOT_FOUND
                    | JSON_BODY
                    | UNPROCESSABLE
                    | CONFLICT
            },
        >,
    > {
        let started = state
            .time
            .entries
            .start_timer(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(started)))
    }

    /// Stop the caller's running timer now and return the finished entry
    /// (members). 409 `time_entry.no_timer` when none runs; 422
    /// `time_entry.too_short` when it rounds to nothing (it keeps running:
    /// delete it instead).
    #[oai(
        path = "/:org_id/timer/stop",
        method = "post",
        operation_id = "stop_timer"
    )]
    async fn stop(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
    ) -> Result<
        JsonResponse<TimeEntryView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | FORBIDDEN | UNPROCESSABLE | CONFLICT }>,
    > {
        Ok(JsonResponse(
            state.time.entries.stop_timer(&state.db, &member).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::{id::UserId, testing::assert_same_json};
    use trellis_time_tracking::ids::{ProjectId, TimeEntryId};

    use super::*;

    #[test]
    fn serde_writes_the_timer_as_to_json_does() {
        let now = chrono::Utc::now();
        let entry = TimeEntryView {
            id: TimeEntryId::new(),
            user_id: UserId::new(),
            project_id: ProjectId::new(),
            task_id: None,
            description: Some("Design review".into()),
            start_at: now.into(),
            end_at: None,
            duration_seconds: None,
            billable: true,
            rate_minor: Some(9000),
            currency: "EUR".into(),
            billed_invoice_id: None,
            created_at: now.into(),
            updated_at: now.into(),
        };
        let running = assert_same_json(&TimerStatus::from(Some(entry)));
        assert_eq!(running["running"], true);
        let idle = assert_same_json(&TimerStatus::from(None));
        assert_eq!(idle, serde_json::json!({"running": false}));
    }
}
