//! `/api/v1/recurring-schedules`.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use trellis_scheduling::{
    ids::RecurringId,
    model::{CreateRecurringSchedule, RecurringCreated, RecurringView},
};

use crate::api::{
    ApiTags,
    common::{Created, NoContent},
    json::JsonResponse,
};
use trellis_scheduling::jobs::RECURRING_HORIZON_WEEKS;

use crate::{
    auth::ProfessionalCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// Recurring schedules.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecurringApi;

#[OpenApi(
    prefix_path = "/api/v1/recurring-schedules",
    tag = "ApiTags::Scheduling"
)]
impl RecurringApi {
    /// The professional's active recurring schedules.
    #[oai(path = "/", method = "get", operation_id = "list_recurring_schedules")]
    async fn list(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Vec<RecurringView>>, Problems<{ RATE_LIMITED | PROFESSIONAL }>> {
        Ok(JsonResponse(
            state.scheduling.recurring.list(&state.db, &pro).await?,
        ))
    }

    /// Repeat an appointment weekly or every N weeks, until a date or for a
    /// count. Appointments are created ahead (setting
    /// `scheduling.recurring_horizon_weeks`); taken times are skipped and
    /// reported in `materialized.conflicts`.
    #[oai(
        path = "/",
        method = "post",
        operation_id = "create_recurring_schedule"
    )]
    async fn create(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<CreateRecurringSchedule>,
    ) -> Result<
        Created<RecurringCreated>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE }>,
    > {
        let horizon = state.settings.get(&RECURRING_HORIZON_WEEKS).await;
        Ok(Created::Created(JsonResponse(
            state
                .scheduling
                .recurring
                .create(&state.db, &pro, body.0, horizon)
                .await?,
        )))
    }

    /// Delete a schedule: its future appointments are cancelled; past ones stay.
    #[oai(
        path = "/:id",
        method = "delete",
        operation_id = "delete_recurring_schedule"
    )]
    async fn delete(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<RecurringId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS }>> {
        state
            .scheduling
            .recurring
            .delete(&state.db, &pro, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }
}
