//! `/internal/notifications`: notification deliveries, for staff who need
//! to see what went out, what is being retried and what gave up.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
};
use trellis_kernel::{
    Page,
    notify::{ChannelKind, NotificationKind},
};
use trellis_messaging::{
    ids::DeliveryId,
    notifications::model::{DeliveryFilter, DeliveryStatus, DeliveryView},
};

use crate::{
    api::{ApiTags, common::page, json::JsonResponse},
    auth::StaffCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// Notification deliveries.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveriesApi;

#[OpenApi(prefix_path = "/internal/notifications", tag = "ApiTags::Messaging")]
impl DeliveriesApi {
    /// Notification deliveries (one per message, channel and address),
    /// newest first, with their attempts, next attempt and last error:
    /// `status=dead` lists what gave up, `status=failed` what is waiting
    /// for another try. Phones are shown masked and push tokens shortened;
    /// one-time codes and links are erased once settled (no `summary`).
    #[allow(clippy::too_many_arguments)] // one extractor per query parameter
    #[oai(
        path = "/",
        method = "get",
        operation_id = "list_notification_deliveries"
    )]
    async fn list(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
        /// Only deliveries in this state.
        status: Query<Option<DeliveryStatus>>,
        /// Only this kind of notification.
        kind: Query<Option<NotificationKind>>,
        /// Only this channel.
        channel: Query<Option<ChannelKind>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<DeliveryView>>, Problems<{ STAFF | PAGED | DATABASE }>> {
        let page = page(limit.0, cursor.0)?;
        let filter = DeliveryFilter {
            status: status.0,
            kind: kind.0,
            channel: channel.0,
        };
        Ok(JsonResponse(
            state
                .notifications
                .deliveries
                .list(&state.db, filter, &page)
                .await?,
        ))
    }

    /// Send a failed or dead delivery again now, with a fresh set of
    /// attempts (answers it `pending`). 409 `notification.not_retryable`
    /// when it is pending, sending or sent; 409
    /// `notification.content_erased` when it carried a one-time code or
    /// link, erased when it settled (the person must ask for a new one).
    #[oai(
        path = "/:id/retry",
        method = "post",
        operation_id = "retry_notification_delivery"
    )]
    async fn retry(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
        id: Path<DeliveryId>,
    ) -> Result<
        JsonResponse<DeliveryView>,
        Problems<{ STAFF | PARAMS | NOT_FOUND | CONFLICT | DATABASE }>,
    > {
        Ok(JsonResponse(
            state
                .notifications
                .deliveries
                .retry(&state.db, id.0)
                .await?,
        ))
    }
}
