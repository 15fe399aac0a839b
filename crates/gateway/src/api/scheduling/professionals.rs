//! `/api/v1/professionals`: profiles, services, working hours and time off.

use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_identity::model::CreateOrgCommand;
use trellis_kernel::db::WriteTransaction;
use trellis_kernel::ports::{OrgRole, require_org_role};
use trellis_scheduling::{
    ids::{ServiceId, TimeOffId},
    model::{
        Availability, CreateProfessional, CreateService, CreateTimeOff, ProfessionalView,
        PublicProfessional, RevenueGroup, RevenueReport, ServiceView, TimeOffView,
        UpdateProfessional, UpdateService,
    },
};

use crate::api::{
    ApiTags,
    common::{Created, NoContent},
    json::JsonResponse,
};
use crate::{
    auth::{Caller, ProfessionalCaller},
    error::{ApiError, Problems, status::*},
    state::AppState,
};

/// Professional profiles and their setup.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfessionalsApi;

#[OpenApi(prefix_path = "/api/v1/professionals", tag = "ApiTags::Scheduling")]
impl ProfessionalsApi {
    /// Create the caller's professional profile. Without `org_id` a personal
    /// organization (owned by the caller) is created with it.
    #[oai(path = "/", method = "post", operation_id = "create_professional")]
    async fn create(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<CreateProfessional>,
    ) -> Result<
        Created<ProfessionalView>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | JSON_BODY
                    | UNPROCESSABLE
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let (caller, cmd) = (caller.0, body.0);
        state.scheduling.professionals.validate(&cmd)?;
        let txn = state.db.begin_write().await.map_err(ApiError::internal)?;
        let org = match cmd.org_id {
            Some(org) => {
                require_org_role(state.memberships.as_ref(), &caller, org, OrgRole::Member).await?;
                org
            }
            None => {
                state
                    .identity
                    .orgs
                    .create(
                        &txn,
                        &caller,
                        CreateOrgCommand {
                            name: cmd.name.clone(),
                        },
                    )
                    .await?
                    .id
            }
        };
        let created = state
            .scheduling
            .professionals
            .create(&txn, &caller, org, cmd)
            .await?;
        txn.commit().await.map_err(ApiError::internal)?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// The caller's profile.
    #[oai(path = "/me", method = "get", operation_id = "get_my_professional")]
    async fn me(
        &self,
        pro: ProfessionalCaller,
    ) -> Result<JsonResponse<ProfessionalView>, Problems<{ RATE_LIMITED | PROFESSIONAL }>> {
        Ok(JsonResponse(pro.view()))
    }

    /// Change name, bio or time zone.
    #[oai(
        path = "/me",
        method = "patch",
        operation_id = "update_my_professional"
    )]
    async fn update(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<UpdateProfessional>,
    ) -> Result<
        JsonResponse<ProfessionalView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .scheduling
                .professionals
                .update(&state.db, &pro, body.0)
                .await?,
        ))
    }

    /// A public profile with its bookable services.
    #[oai(path = "/:slug", method = "get", operation_id = "get_professional")]
    async fn public(
        &self,
        state: Data<&AppState>,
        slug: Path<String>,
    ) -> Result<JsonResponse<PublicProfessional>, Problems<{ RATE_LIMITED | NOT_FOUND | DATABASE }>>
    {
        Ok(JsonResponse(
            state
                .scheduling
                .professionals
                .public(&state.db, &slug.0)
                .await?,
        ))
    }

    /// The caller's services.
    #[oai(
        path = "/me/services",
        method = "get",
        operation_id = "list_my_services"
    )]
    async fn services(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Vec<ServiceView>>, Problems<{ RATE_LIMITED | PROFESSIONAL }>> {
        Ok(JsonResponse(
            state.scheduling.catalog.list(&state.db, &pro).await?,
        ))
    }

    /// Offer a service: duration, price, buffers, notice, advance, increment.
    #[oai(
        path = "/me/services",
        method = "post",
        operation_id = "create_service"
    )]
    async fn create_service(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<CreateService>,
    ) -> Result<
        Created<ServiceView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(Created::Created(JsonResponse(
            state
                .scheduling
                .catalog
                .create(&state.db, &pro, body.0)
                .await?,
        )))
    }

    /// Change a service (booked appointments keep their price).
    #[oai(
        path = "/me/services/:id",
        method = "patch",
        operation_id = "update_service"
    )]
    async fn update_service(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ServiceId>,
        body: Json<UpdateService>,
    ) -> Result<
        JsonResponse<ServiceView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .scheduling
                .catalog
                .update(&state.db, &pro, id.0, body.0)
                .await?,
        ))
    }

    /// Remove a service (deactivated instead if it has appointments).
    #[oai(
        path = "/me/services/:id",
        method = "delete",
        operation_id = "delete_service"
    )]
    async fn delete_service(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ServiceId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS }>> {
        state
            .scheduling
            .catalog
            .delete(&state.db, &pro, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Weekly working hours, in the professional's time zone.
    #[oai(
        path = "/me/availability",
        method = "get",
        operation_id = "get_my_availability"
    )]
    async fn availability(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Availability>, Problems<{ RATE_LIMITED | PROFESSIONAL }>> {
        Ok(JsonResponse(
            state.scheduling.availability.get(&state.db, &pro).await?,
        ))
    }

    /// Replace the weekly working hours (several intervals per weekday, none overlapping).
    #[oai(
        path = "/me/availability",
        method = "put",
        operation_id = "replace_my_availability"
    )]
    async fn replace_availability(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<Availability>,
    ) -> Result<
        JsonResponse<Availability>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .scheduling
                .availability
                .replace(&state.db, &pro, body.0.rules)
                .await?,
        ))
    }

    /// Revenue from completed appointments between two local dates
    /// (inclusive), by day, ISO week or month, per currency.
    #[oai(path = "/me/revenue", method = "get", operation_id = "get_my_revenue")]
    async fn revenue(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        /// First local date, `YYYY-MM-DD`.
        from: Query<NaiveDate>,
        /// Last local date, `YYYY-MM-DD`.
        to: Query<NaiveDate>,
        /// `day` (default), `week` or `month`.
        group: Query<Option<RevenueGroup>>,
    ) -> Result<
        JsonResponse<RevenueReport>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | UNPROCESSABLE }>,
    > {
        let group = group.0.unwrap_or(RevenueGroup::Day);
        Ok(JsonResponse(
            trellis_scheduling::service::revenue::revenue(&state.db, &pro, from.0, to.0, group)
                .await?,
        ))
    }

    /// Upcoming time off.
    #[oai(
        path = "/me/time-off",
        method = "get",
        operation_id = "list_my_time_off"
    )]
    async fn time_off(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Vec<TimeOffView>>, Problems<{ RATE_LIMITED | PROFESSIONAL }>> {
        Ok(JsonResponse(
            state
                .scheduling
                .availability
                .time_off(&state.db, &pro)
                .await?,
        ))
    }

    /// Block a period (whole days or part of one).
    #[oai(
        path = "/me/time-off",
        method = "post",
        operation_id = "create_time_off"
    )]
    async fn add_time_off(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<CreateTimeOff>,
    ) -> Result<
        Created<TimeOffView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(Created::Created(JsonResponse(
            state
                .scheduling
                .availability
                .add_time_off(&state.db, &pro, body.0)
                .await?,
        )))
    }

    /// Remove a period off.
    #[oai(
        path = "/me/time-off/:id",
        method = "delete",
        operation_id = "delete_time_off"
    )]
    async fn remove_time_off(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<TimeOffId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS }>> {
        state
            .scheduling
            .availability
            .remove_time_off(&state.db, &pro, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }
}
