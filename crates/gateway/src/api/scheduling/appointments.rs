//! `/api/v1/appointments` (the professional's) and `/api/v1/users/me/appointments` (the client's).

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::Page;
use trellis_scheduling::{
    ids::{AppointmentId, ClientId},
    model::{AppointmentView, CancelCommand, CreateAppointment, RescheduleCommand, StatusCommand},
    service::AppointmentFilter,
    status::AppointmentStatus,
};

use crate::api::{
    ApiTags,
    common::{Created, page},
    json::JsonResponse,
};
use crate::{
    auth::{Caller, ProfessionalCaller},
    error::{Problems, status::*},
    state::AppState,
};

/// Appointments.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppointmentsApi;

#[OpenApi(tag = "ApiTags::Scheduling")]
impl AppointmentsApi {
    /// The professional's appointments by start time.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/api/v1/appointments",
        method = "get",
        operation_id = "list_appointments"
    )]
    async fn list(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        /// Starting at or after.
        from: Query<Option<DateTime<Utc>>>,
        /// Starting before.
        to: Query<Option<DateTime<Utc>>>,
        /// Only this status.
        status: Query<Option<AppointmentStatus>>,
        /// Only this client.
        client_id: Query<Option<ClientId>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<AppointmentView>>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PAGED }>,
    > {
        let page = page(limit.0, cursor.0)?;
        let filter = AppointmentFilter {
            from: from.0,
            to: to.0,
            status: status.0,
            client: client_id.0,
        };
        Ok(JsonResponse(
            state
                .scheduling
                .appointments
                .list(&state.db, &pro, filter, &page)
                .await?,
        ))
    }

    /// Create an appointment for one of the professional's clients (outside
    /// working hours allowed; overlaps never).
    #[oai(
        path = "/api/v1/appointments",
        method = "post",
        operation_id = "create_appointment"
    )]
    async fn create(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<CreateAppointment>,
    ) -> Result<
        Created<AppointmentView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        let created = state
            .scheduling
            .booking
            .create_for_client(&state.db, &pro, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One appointment (its professional, or its client's account).
    #[oai(
        path = "/api/v1/appointments/:id",
        method = "get",
        operation_id = "get_appointment"
    )]
    async fn get(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<AppointmentId>,
    ) -> Result<
        JsonResponse<AppointmentView>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PARAMS | NOT_FOUND | DATABASE }>,
    > {
        Ok(JsonResponse(
            state
                .scheduling
                .appointments
                .get(&state.db, &caller, id.0)
                .await?,
        ))
    }

    /// Confirm, complete, cancel (with a reason) or mark a no-show. Moves the
    /// state machine forbids answer 409.
    #[oai(
        path = "/api/v1/appointments/:id/status",
        method = "post",
        operation_id = "change_appointment_status"
    )]
    async fn status(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<AppointmentId>,
        body: Json<StatusCommand>,
    ) -> Result<
        JsonResponse<AppointmentView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        let view = state
            .scheduling
            .appointments
            .change_status(&state.db, &pro, id.0, body.0)
            .await?;
        Ok(JsonResponse(view))
    }

    /// Move an appointment: a new one is created and linked; the old one
    /// becomes `rescheduled`.
    #[oai(
        path = "/api/v1/appointments/:id/reschedule",
        method = "post",
        operation_id = "reschedule_appointment"
    )]
    async fn reschedule(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<AppointmentId>,
        body: Json<RescheduleCommand>,
    ) -> Result<
        Created<AppointmentView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | JSON_BODY | CONFLICT }>,
    > {
        let view = state
            .scheduling
            .booking
            .reschedule(&state.db, &pro, id.0, body.0.start_at)
            .await?;
        Ok(Created::Created(JsonResponse(view)))
    }

    /// The caller's own appointments as a client (bookings made while signed in).
    #[oai(
        path = "/api/v1/users/me/appointments",
        method = "get",
        operation_id = "list_my_appointments"
    )]
    async fn mine(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<AppointmentView>>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PAGED | DATABASE }>,
    > {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .scheduling
                .appointments
                .mine(&state.db, &caller, &page)
                .await?,
        ))
    }

    /// Cancel one's own appointment, up to the service's cancellation notice.
    #[oai(
        path = "/api/v1/users/me/appointments/:id/cancel",
        method = "post",
        operation_id = "cancel_my_appointment"
    )]
    async fn cancel_mine(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<AppointmentId>,
        body: Json<CancelCommand>,
    ) -> Result<
        JsonResponse<AppointmentView>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | PARAMS
                    | JSON_BODY
                    | UNPROCESSABLE
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let view = state
            .scheduling
            .appointments
            .cancel_own(&state.db, &caller, id.0, body.0)
            .await?;
        Ok(JsonResponse(view))
    }
}
