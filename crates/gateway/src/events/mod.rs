//! Durable events: the outbox dispatcher and the subscribers the gateway
//! wires to them.
//!
//! Domains record events in the same transaction as their changes (see
//! `trellis_kernel::outbox`); [`run`] claims due events every
//! `TRELLIS_OUTBOX_POLL` and hands each to its subscribers:
//!
//! | subscriber | hears | does |
//! |---|---|---|
//! | [`MailSubscriber`] (`mail`) | `identity.email` | sends the queued email through the `Mailer` |
//! | [`NotificationSubscriber`] (`notifications`) | `appointment.*` | tells the client through the `Notifier` |
//!
//! Messaging will replace the notification subscriber with templates and
//! channels; a new domain's reaction to another's event is one more
//! subscriber in [`subscribers`].

mod notify;

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;
use trellis_kernel::{
    outbox::{Dispatcher, Event, HandlerError, Subscriber},
    ports::{DeliveryError, Mailer, Notifier, OutgoingEmail},
};
use trellis_scheduling::notices::{AppointmentNotice, KINDS as APPOINTMENT_KINDS};

pub use notify::EmailNotifier;

use crate::state::AppState;

/// How many events one pass claims.
const BATCH: u32 = 32;

fn handler_error(err: DeliveryError) -> HandlerError {
    match err {
        DeliveryError::Unavailable(_) => HandlerError::transient(err),
        DeliveryError::Rejected(_) => HandlerError::permanent(err),
    }
}

/// Sends the emails identity queues (verification and reset links).
pub struct MailSubscriber(pub Arc<dyn Mailer>);

#[async_trait::async_trait]
impl Subscriber for MailSubscriber {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn kinds(&self) -> &'static [&'static str] {
        trellis_identity::events::KINDS
    }

    async fn handle(&self, event: &Event) -> Result<(), HandlerError> {
        let email: OutgoingEmail = event.payload()?;
        self.0.send(email).await.map_err(handler_error)
    }
}

/// Tells clients about their appointments.
pub struct NotificationSubscriber(pub Arc<dyn Notifier>);

#[async_trait::async_trait]
impl Subscriber for NotificationSubscriber {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn kinds(&self) -> &'static [&'static str] {
        APPOINTMENT_KINDS
    }

    async fn handle(&self, event: &Event) -> Result<(), HandlerError> {
        let notice: AppointmentNotice = event.payload()?;
        self.0
            .notify(notice.notification)
            .await
            .map_err(handler_error)
    }
}

/// Every subscriber, in the order they are called.
pub fn subscribers(
    mailer: Arc<dyn Mailer>,
    notifier: Arc<dyn Notifier>,
) -> Vec<Arc<dyn Subscriber>> {
    vec![
        Arc::new(MailSubscriber(mailer)),
        Arc::new(NotificationSubscriber(notifier)),
    ]
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
