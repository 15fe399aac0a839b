//! `/api/v1/booking/{slug}`: public slots and bookings.

use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use trellis_kernel::types::TimeZone;
use trellis_scheduling::{
    ids::ServiceId,
    model::{AppointmentView, BookingCommand, Slots},
};

use crate::api::{ApiTags, common::Created, json::JsonResponse};
use crate::{
    auth::OptionalCaller,
    error::{ApiError, Problems, status::*},
    idempotency,
    state::AppState,
};

/// Public booking.
#[derive(Debug, Clone, Copy, Default)]
pub struct BookingApi;

#[OpenApi(prefix_path = "/api/v1/booking", tag = "ApiTags::Scheduling")]
impl BookingApi {
    /// Free start times of a service between two dates (inclusive) of `tz`
    /// (default: the professional's zone), at most 62 days.
    #[oai(path = "/:slug/slots", method = "get", operation_id = "list_slots")]
    async fn slots(
        &self,
        state: Data<&AppState>,
        slug: Path<String>,
        /// The service to book.
        service_id: Query<ServiceId>,
        /// First date, `YYYY-MM-DD`.
        from: Query<NaiveDate>,
        /// Last date, `YYYY-MM-DD`.
        to: Query<NaiveDate>,
        /// IANA zone for the dates and `local_start`.
        tz: Query<Option<TimeZone>>,
    ) -> Result<
        JsonResponse<Slots>,
        Problems<{ RATE_LIMITED | PARAMS | NOT_FOUND | UNPROCESSABLE | DATABASE }>,
    > {
        let pro = state
            .scheduling
            .professionals
            .by_slug(&state.db, &slug.0)
            .await?;
        let slots = state
            .scheduling
            .booking
            .slots(&state.db, &pro, service_id.0, from.0, to.0, tz.0)
            .await?;
        Ok(JsonResponse(slots))
    }

    /// Book a start time from the slots list. Finds or creates the client by
    /// phone or email. 409 `appointment.slot_taken` if someone was faster.
    /// With `Idempotency-Key`, a retry returns the first response.
    #[oai(path = "/:slug", method = "post", operation_id = "book_appointment")]
    async fn book(
        &self,
        caller: OptionalCaller,
        state: Data<&AppState>,
        slug: Path<String>,
        /// Makes retries safe: the same key and body return the first response.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<BookingCommand>,
    ) -> Result<
        Created<AppointmentView>,
        Problems<
            {
                RATE_LIMITED
                    | OPTIONAL_AUTH
                    | JSON_BODY
                    | UNPROCESSABLE
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let pro = state
            .scheduling
            .professionals
            .by_slug(&state.db, &slug.0)
            .await?;
        let scope = format!("booking:{}", pro.id);
        let (cmd, who) = (body.0, caller.0.map(|p| p.user_id));
        let booked = idempotency::once(
            &state,
            &scope,
            idempotency_key.0.as_deref(),
            &cmd.clone(),
            async |txn| {
                let view = state
                    .scheduling
                    .booking
                    .book(txn, &pro, cmd, who)
                    .await
                    .map_err(ApiError::from)?;
                Ok(view)
            },
        )
        .await?;
        Ok(Created::Created(JsonResponse(booked)))
    }
}
