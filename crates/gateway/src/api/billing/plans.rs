//! `GET /api/v1/plans`: the price list, for anyone.

use poem::web::Data;
use poem_openapi::OpenApi;
use trellis_billing::model::PlanView;

use crate::api::{ApiTags, json::JsonResponse};
use crate::{
    error::{Problems, status::*},
    state::AppState,
};

/// The plans on sale.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlansApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Billing")]
impl PlansApi {
    /// Every plan, cheapest first: its monthly price in minor units of the
    /// configured currency and the limits it sets (an absent number is
    /// unlimited). An organization without a subscription is on `free`.
    #[oai(path = "/plans", method = "get", operation_id = "list_plans")]
    async fn list(
        &self,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Vec<PlanView>>, Problems<{ RATE_LIMITED }>> {
        Ok(JsonResponse(state.billing.plans.list()))
    }
}
