//! `/api/v1/orgs/{org_id}/reports`: totals of the time logged.

use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
};
use trellis_kernel::id::OrgId;
use trellis_time_tracking::model::{GroupBy, SummaryReport};

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl ReportsApi {
    /// Seconds, billable seconds and billable amounts (per currency) of the
    /// stopped entries starting between two local dates, inclusive, in the
    /// organization's time zone, grouped, with the total over every group
    /// (members). Running timers count once stopped. The range may span at
    /// most 1098 days (422 naming `to`, as for `to` before `from`).
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/:org_id/reports/summary",
        method = "get",
        operation_id = "get_time_summary"
    )]
    async fn summary(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// First local date, `YYYY-MM-DD`.
        from: Query<NaiveDate>,
        /// Last local date (inclusive), `YYYY-MM-DD`.
        to: Query<NaiveDate>,
        /// `client`, `project` (default), `user`, `task`, `day` or `week`
        /// (ISO weeks, keyed by their Monday).
        group_by: Query<Option<GroupBy>>,
        /// `true`: only billable entries; `false`: only non-billable ones;
        /// absent: all.
        billable: Query<Option<bool>>,
    ) -> Result<
        JsonResponse<SummaryReport>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | UNPROCESSABLE }>,
    > {
        let group_by = group_by.0.unwrap_or(GroupBy::Project);
        Ok(JsonResponse(
            state
                .time
                .reports
                .summary(&state.db, &member, from.0, to.0, group_by, billable.0)
                .await?,
        ))
    }
}
