//! The default `Notifier`: email through the `Mailer` when the recipient has
//! an address, a log line otherwise. Messaging replaces it with templates
//! and channels (WhatsApp, SMS, push).

use std::sync::Arc;

use trellis_kernel::ports::{DeliveryError, Mailer, Notification, Notifier, OutgoingEmail};

/// Email-or-log notifications.
pub struct EmailNotifier {
    mailer: Arc<dyn Mailer>,
}

impl EmailNotifier {
    /// Notifies through `mailer`.
    pub fn new(mailer: Arc<dyn Mailer>) -> Self {
        Self { mailer }
    }
}

#[async_trait::async_trait]
impl Notifier for EmailNotifier {
    async fn notify(&self, n: Notification) -> Result<(), DeliveryError> {
        match n.recipient.email {
            Some(to) => {
                self.mailer
                    .send(OutgoingEmail {
                        to,
                        subject: n.subject,
                        text: n.body,
                    })
                    .await
            }
            None => {
                tracing::info!(kind = n.kind, to = %n.recipient.name, "notification without an email address (logged only)");
                Ok(())
            }
        }
    }
}
