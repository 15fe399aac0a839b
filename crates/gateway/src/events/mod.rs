//! Durable events: the outbox dispatcher and the subscribers the gateway
//! wires to them.
//!
//! Domains record events in the same transaction as their changes (see
//! `trellis_kernel::outbox`); [`run`] claims due events every
//! `TRELLIS_OUTBOX_POLL` and hands each to its subscribers:
//!
//! | subscriber | hears | does |
//! |---|---|---|
//! | messaging's `NotificationConsumer` (`notifications`) | `notification.requested`, `message.created` | queues one delivery per channel and address, in the event's transaction |
//! | the vault's `RotationDueNotices` (`vault_rotation_notices`) | `credential.rotation_due` | requests a `credential_rotation_due` notification to each owner |
//!
//! A new domain's reaction to another's event is one more subscriber in
//! [`subscribers`].

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;
use trellis_credentials_vault::notices::RotationDueNotices;
use trellis_kernel::outbox::{Dispatcher, Subscriber};
use trellis_messaging::notifications::Notifications;

use crate::state::AppState;

/// How many events one pass claims.
const BATCH: u32 = 32;

/// Every subscriber, in the order they are called.
pub fn subscribers(
    notifications: &Notifications,
    vault: Arc<RotationDueNotices>,
) -> Vec<Arc<dyn Subscriber>> {
    vec![notifications.consumer.clone(), vault]
}

/// Dispatches due events until `shutdown`: a pass every `poll` (the first
/// one `poll` after start), and at once again while passes find full batches.
pub async fn run(
    state: AppState,
    dispatcher: Arc<Dispatcher>,
    poll: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
        loop {
            match dispatcher.dispatch_due(&state.db, BATCH).await {
                Ok(report) if report.claimed == BATCH as usize => continue,
                Ok(report) => {
                    if report.claimed > 0 {
                        tracing::debug!(?report, "outbox pass");
                    }
                }
                Err(err) => tracing::warn!(error = %err, "outbox pass failed; retrying"),
            }
            break;
        }
    }
}
