//! `/api/v1/orgs/{org_id}/time-settings`: the organization's time-keeping
//! rules.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use trellis_kernel::id::OrgId;
use trellis_time_tracking::model::{TimeSettingsView, UpdateTimeSettings};

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Time settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeSettingsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl TimeSettingsApi {
    /// The organization's time zone (its reports' days and weeks, and the
    /// lock date's), whether one person's entries may overlap, the lock
    /// date and the rounding rule (members). The defaults (UTC, no
    /// overlaps, no lock date, no rounding) until an admin changes them.
    #[oai(
        path = "/:org_id/time-settings",
        method = "get",
        operation_id = "get_time_settings"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
    ) -> Result<JsonResponse<TimeSettingsView>, Problems<{ RATE_LIMITED | ORG_MEMBER }>> {
        Ok(JsonResponse(
            state.time.settings.get(&state.db, &member).await?,
        ))
    }

    /// Change the rules (admins): absent fields stay, `null` clears the lock
    /// date or the rounding. Entries already written keep their times; a
    /// rounding `minutes` that does not divide an hour is 422 naming
    /// `rounding.minutes`.
    #[oai(
        path = "/:org_id/time-settings",
        method = "patch",
        operation_id = "update_time_settings"
    )]
    async fn update(
        &self,
        admin: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<UpdateTimeSettings>,
    ) -> Result<
        JsonResponse<TimeSettingsView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .time
                .settings
                .update(&state.db, &admin, body.0)
                .await?,
        ))
    }
}
