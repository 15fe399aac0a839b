//! Messaging, its notification half: every message the product sends to a
//! person, rendered from templates and delivered durably.
//!
//! Domains record a `notification.requested` event (kernel's
//! [`notify`](trellis_kernel::notify)) in the transaction of their change.
//! The [`NotificationConsumer`] turns it into deliveries (one per channel
//! and address, rendered in the recipient's locale and zone) in the
//! transaction that consumes the event; the [`DeliveryWorker`] sends them
//! with retries; the [`watchdog`] re-queues what got stuck and alerts staff.
//!
//! - [`catalogue`]: the kinds as data (channels, security, marketing).
//! - [`render`]: the templates under `templates/`, embedded at build time.
//! - [`channels`]: email, WhatsApp, SMS and push behind one [`Channel`] trait.
//! - [`preferences`], [`devices`]: what users choose and where they push to.

pub mod catalogue;
pub mod channels;
pub mod consumer;
mod deliveries;
pub mod devices;
pub mod jobs;
pub mod locale;
pub mod message;
pub mod model;
pub mod preferences;
pub mod render;
pub mod unsubscribe;
pub mod watchdog;
pub mod worker;

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::SecretSlice;
use trellis_kernel::{Page, PageRequest, ports::People};

pub use channels::{Channel, Channels, Outgoing, SendError, Sent};
pub use consumer::NotificationConsumer;
pub use devices::DeviceService;
pub use locale::Locale;
pub use message::Rendered;
pub use preferences::PreferenceService;
pub use worker::{DeliveryPolicy, DeliveryWorker, Outcome, WorkerReport};

use self::{
    model::{DeliveryFilter, DeliveryView},
    render::Renderer,
    unsubscribe::UnsubscribeSigner,
    watchdog::WatchdogReport,
};
use crate::{error::Result, ids::DeliveryId, service::MessagingDeps};

/// What the notification half is configured with.
pub struct NotificationsConfig {
    /// The web app's base URL: links in messages point there.
    pub app_url: String,
    /// The API's public base URL: one-click unsubscribe links point there.
    pub api_url: String,
    /// The key unsubscribe links are signed with.
    pub unsubscribe_key: SecretSlice<u8>,
    /// How deliveries are retried.
    pub policy: DeliveryPolicy,
    /// The worker's name (unique per process).
    pub holder: String,
}

impl std::fmt::Debug for NotificationsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationsConfig")
            .field("app_url", &self.app_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Operators' view of deliveries.
#[derive(Clone)]
pub struct DeliveryService {
    deps: Arc<MessagingDeps>,
    people: Arc<dyn People>,
}

impl std::fmt::Debug for DeliveryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryService")
    }
}

impl DeliveryService {
    /// Deliveries, newest first, filtered by status, kind and channel.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        filter: DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<DeliveryView>> {
        deliveries::list(db, filter, page).await
    }

    /// One delivery.
    pub async fn get(&self, db: &impl ConnectionTrait, id: DeliveryId) -> Result<DeliveryView> {
        deliveries::get(db, id).await
    }

    /// Sends a failed or dead delivery again now.
    pub async fn retry(&self, db: &impl ConnectionTrait, id: DeliveryId) -> Result<DeliveryView> {
        deliveries::retry(db, &self.deps.clock, id).await
    }

    /// Runs the watchdog now.
    pub async fn watchdog(&self, db: &DatabaseConnection) -> Result<WatchdogReport> {
        Ok(watchdog::run(db, &self.deps.clock, self.people.as_ref()).await?)
    }
}

/// Every notification service, wired.
#[derive(Debug, Clone)]
pub struct Notifications {
    /// Preferences and unsubscribe links.
    pub preferences: PreferenceService,
    /// Push devices.
    pub devices: DeviceService,
    /// Deliveries, for operators.
    pub deliveries: DeliveryService,
    /// The outbox subscriber that queues deliveries.
    pub consumer: Arc<NotificationConsumer>,
    /// The worker that sends them.
    pub worker: Arc<DeliveryWorker>,
}

impl Notifications {
    /// Wires the notification half: `channels` are the configured
    /// providers (a channel not configured is never used), `people` finds
    /// accounts' contacts.
    pub fn new(
        deps: MessagingDeps,
        people: Arc<dyn People>,
        channels: Channels,
        config: NotificationsConfig,
    ) -> Self {
        let deps = Arc::new(deps);
        let signer = Arc::new(UnsubscribeSigner::new(config.unsubscribe_key));
        let preferences = PreferenceService::new(deps.clone(), signer);
        let configured = channels.kinds().into_iter().collect();
        let channels = Arc::new(channels);
        let consumer = NotificationConsumer::new(
            deps.clone(),
            Arc::new(Renderer::new()),
            people.clone(),
            preferences.clone(),
            configured,
            config.app_url,
            config.api_url,
        );
        let worker =
            DeliveryWorker::new(channels, deps.clock.clone(), config.policy, config.holder);
        Self {
            devices: DeviceService::new(deps.clone()),
            deliveries: DeliveryService { deps, people },
            preferences,
            consumer: Arc::new(consumer),
            worker: Arc::new(worker),
        }
    }
}
