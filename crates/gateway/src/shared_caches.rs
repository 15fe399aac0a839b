//! Caches every instance keeps for itself (runtime settings, organizations'
//! plans), dropped on every instance as soon as one of them changes what
//! they hold, when the gateways share Redis.
//!
//! The instance that makes the change drops its own cache at once (the
//! settings store and the billing webhook do); it then publishes a notice
//! through the [`Notices`] hub, and the others drop theirs on hearing it.
//! A lost notice (Redis down, a subscriber reconnecting) costs no more than
//! the caches' TTL, which stays the bound without Redis; and every cache is
//! dropped again whenever the subscription is re-established.

use tokio_util::sync::CancellationToken;
use trellis_billing::service::SubscriptionService;
use trellis_kernel::settings::Settings;

use crate::notices::{Notice, NoticeQueue, Notices};

/// The notice channel of changed runtime settings.
pub const SETTINGS: &str = "settings";
/// The notice channel of changed subscriptions (a Stripe webhook applied).
pub const PLANS: &str = "plans";

/// Announces that `channel`'s cache changed here. Best effort: a notice
/// that cannot be sent leaves the others on their TTL.
pub async fn changed(notices: &Notices, channel: &'static str) {
    let origin = notices.origin().to_owned();
    if let Err(err) = notices.publish(channel, origin).await {
        tracing::warn!(channel, error = %err, "could not announce a change; other instances follow when their cache expires");
    }
}

/// The queues [`listen`] reads, taken from the hub while the app is built.
#[derive(Debug)]
pub struct Queues {
    settings: NoticeQueue,
    plans: NoticeQueue,
}

impl Queues {
    /// Subscribes to both channels on `notices`.
    pub fn subscribe(notices: &Notices) -> Self {
        Self {
            settings: notices.subscribe(SETTINGS),
            plans: notices.subscribe(PLANS),
        }
    }
}

/// Whether `notice` should drop a cache here: not this instance's own
/// (it dropped its cache when it made the change).
fn drops(notice: &Notice, origin: &str) -> bool {
    match notice {
        Notice::Subscribed => true,
        Notice::Message(from) => from != origin.as_bytes(),
    }
}

/// Drops the settings or plan cache on each notice until `shutdown` or the
/// hub stops.
pub async fn listen(
    queues: Queues,
    origin: String,
    settings: Settings,
    plans: SubscriptionService,
    shutdown: CancellationToken,
) {
    let Queues {
        settings: mut settings_queue,
        plans: mut plans_queue,
    } = queues;
    let (mut settings_open, mut plans_open) = (true, true);
    while settings_open || plans_open {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            notice = settings_queue.recv(), if settings_open => match notice {
                None => settings_open = false,
                Some(notice) => if drops(&notice, &origin) { settings.invalidate() },
            },
            notice = plans_queue.recv(), if plans_open => match notice {
                None => plans_open = false,
                Some(notice) => if drops(&notice, &origin) { plans.forget_all() },
            },
        }
    }
}
