//! `/internal/events`: the event outbox, for staff who need to see what was
//! delivered, what is being retried and what gave up.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
};
use trellis_kernel::{
    Page,
    id::EventId,
    outbox::{self, EventStatus, EventView},
};

use crate::{
    api::{ApiTags, common::page, json::JsonResponse},
    auth::StaffCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// The event outbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventsApi;

#[OpenApi(prefix_path = "/internal/events", tag = "ApiTags::System")]
impl EventsApi {
    /// Recorded domain events, newest first: `status=dead` lists what gave
    /// up after its last attempt, with the last error. Payloads of sensitive
    /// events (one-time links) are never shown.
    #[oai(path = "/", method = "get", operation_id = "list_events")]
    async fn list(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
        /// Only events in this state.
        status: Query<Option<EventStatus>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<EventView>>, Problems<{ STAFF | PAGED | DATABASE }>> {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            outbox::list(&state.db, status.0, &page).await?,
        ))
    }

    /// Send a dead event round again (pending now, with a fresh set of
    /// attempts; subscribers that had it are not called again). 409 when it
    /// is not dead, or when it carried a one-time link, erased when it died.
    #[oai(path = "/:id/retry", method = "post", operation_id = "retry_event")]
    async fn retry(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
        id: Path<EventId>,
    ) -> Result<
        JsonResponse<EventView>,
        Problems<{ STAFF | PARAMS | NOT_FOUND | CONFLICT | DATABASE }>,
    > {
        Ok(JsonResponse(
            outbox::retry(&state.db, &state.clock, id.0).await?,
        ))
    }
}
