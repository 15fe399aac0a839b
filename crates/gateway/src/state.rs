//! What every request handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use trellis_assistant::Assistant;
use trellis_billing::Billing;
use trellis_credentials_vault::Vault;
use trellis_identity::Identity;
use trellis_kernel::{
    SharedClock, auth::TokenCodec, outbox::Dispatcher, ports::Memberships, settings::Settings,
};
use trellis_messaging::{Messaging, notifications::Notifications, realtime::RealtimeBus};
use trellis_scheduling::Scheduling;
use trellis_time_tracking::TimeTracking;

use crate::{
    config::Config,
    middleware::{metrics::Metrics, rate_limit::RateLimitStore},
    notices::Notices,
    realtime::Sockets,
    revocations::Revocations,
    shared_redis::SharedRedis,
};

/// Shared application state, cheap to clone (every field is a handle).
#[derive(Clone)]
pub struct AppState {
    /// The configuration the process started with.
    pub config: Arc<Config>,
    /// The database pool.
    pub db: DatabaseConnection,
    /// The source of "now".
    pub clock: SharedClock,
    /// Access-token issuing and verification.
    pub tokens: TokenCodec,
    /// Runtime settings.
    pub settings: Settings,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Identity services.
    pub identity: Identity,
    /// Organization membership lookups, for every domain.
    pub memberships: Arc<dyn Memberships>,
    /// Recently ended sessions.
    pub revocations: Revocations,
    /// Scheduling services.
    pub scheduling: Scheduling,
    /// Messaging services.
    pub messaging: Messaging,
    /// Time-tracking services: agency clients, projects, tasks, time
    /// entries and timers, reports, time settings.
    pub time: TimeTracking,
    /// The credentials vault.
    pub vault: Vault,
    /// Plans, subscriptions and invoices.
    pub billing: Billing,
    /// The assistant for professionals.
    pub assistant: Assistant,
    /// Notification preferences, devices and deliveries.
    pub notifications: Notifications,
    /// Where committed changes go to reach sockets.
    pub realtime: Arc<dyn RealtimeBus>,
    /// The realtime sockets of this process.
    pub sockets: Sockets,
    /// Rate-limit counters (the middleware's, which socket frames count
    /// against too).
    pub rate_limits: Arc<dyn RateLimitStore>,
    /// The Redis every instance shares, when `REDIS_URL` is set.
    pub redis: Option<SharedRedis>,
    /// Notices to and from the other instances (silent without Redis).
    pub notices: Notices,
    /// Delivers recorded events to their subscribers.
    pub dispatcher: Arc<Dispatcher>,
    /// Every domain's scheduled jobs.
    pub jobs: Arc<Vec<trellis_kernel::jobs::Job>>,
    /// This process, as a lease holder.
    pub instance_id: uuid::Uuid,
}
