//! Sessions ended recently, kept in memory so that an access token of an
//! ended session (logout, revocation, deactivation, token reuse) stops working
//! at once, while verifying a token still needs no database round trip.
//!
//! The instance that ends a session refreshes the list immediately
//! ([`Revocations::ended`]). With Redis it also publishes a notice on one
//! channel that every instance subscribes to once ([`Revocations::listen`]),
//! and each re-reads the list on hearing it: the session stops working
//! everywhere within a round trip, not a poll. Every instance still polls
//! the database every [`POLL`], the fallback that covers Redis being down, a
//! notice lost while a subscriber reconnected, or no Redis at all. Only
//! sessions ended within the access-token lifetime matter (older tokens have
//! expired anyway), which bounds the list.

use std::{
    collections::HashSet,
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt as _;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use trellis_identity::service::SessionService;
use trellis_kernel::{SharedClock, id::SessionId};

use crate::shared_redis::{COMMAND_TIMEOUT, SharedRedis};

/// How often every instance re-reads the list.
pub const POLL: Duration = Duration::from_secs(2);

/// How long a subscriber waits before connecting again after losing Redis.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// The set of recently ended sessions.
#[derive(Clone)]
pub struct Revocations {
    ended: Arc<RwLock<HashSet<SessionId>>>,
    /// Bumped whenever a session joins the set, so long-lived connections
    /// (realtime sockets) learn of an ended session without polling.
    changed: Arc<watch::Sender<u64>>,
    db: DatabaseConnection,
    sessions: SessionService,
    clock: SharedClock,
    window: chrono::Duration,
    /// Where notices go and come from, when configured.
    redis: Option<SharedRedis>,
    /// This instance, so that it ignores its own notices (it has refreshed).
    origin: String,
    /// Whether the subscription is in place (tests wait for it).
    listening: Arc<AtomicBool>,
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Revocations {
    /// A list covering sessions ended within `access_ttl` (plus a minute of clock skew).
    pub fn new(
        db: DatabaseConnection,
        sessions: SessionService,
        clock: SharedClock,
        access_ttl: Duration,
    ) -> Self {
        Self {
            ended: Arc::new(RwLock::new(HashSet::new())),
            changed: Arc::new(watch::Sender::new(0)),
            db,
            sessions,
            clock,
            window: chrono::Duration::from_std(access_ttl).unwrap_or(chrono::Duration::hours(1))
                + chrono::Duration::minutes(1),
            redis: None,
            origin: uuid::Uuid::now_v7().to_string(),
            listening: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Tells (and hears from) the other instances through `redis`.
    pub fn with_redis(mut self, redis: Option<SharedRedis>) -> Self {
        self.redis = redis;
        self
    }

    fn channel(redis: &SharedRedis) -> String {
        redis.key("revocations")
    }

    /// A session (or every session of a user) ended here: re-read the list,
    /// then tell the other instances to do the same. Best effort: if Redis
    /// is down they follow within [`POLL`].
    pub async fn ended(&self) {
        self.refresh().await;
        let Some(redis) = &self.redis else {
            return;
        };
        let channel = Self::channel(redis);
        let origin = self.origin.clone();
        let published = redis
            .run(|mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(origin)
                    .query_async::<i64>(&mut conn)
                    .await
            })
            .await;
        if let Err(err) = published {
            tracing::warn!(error = %err, "could not announce an ended session; other instances follow within the poll");
        }
    }

    /// Whether this instance currently hears other instances' notices.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Subscribes to other instances' notices until `shutdown`, re-reading
    /// the list on each; reconnects by itself. Returns at once without Redis.
    pub async fn listen(self, shutdown: CancellationToken) {
        let Some(redis) = self.redis.clone() else {
            return;
        };
        let channel = Self::channel(&redis);
        let mut reported = false;
        loop {
            let subscribed = tokio::select! {
                _ = shutdown.cancelled() => return,
                subscribed = Self::subscribe(&redis, &channel) => subscribed,
            };
            match subscribed {
                Ok(mut pubsub) => {
                    reported = false;
                    self.listening.store(true, Ordering::Release);
                    // Whatever ended while nobody listened.
                    self.refresh().await;
                    let mut notices = pubsub.on_message();
                    loop {
                        let notice = tokio::select! {
                            _ = shutdown.cancelled() => return,
                            notice = notices.next() => notice,
                        };
                        let Some(notice) = notice else { break };
                        if notice.get_payload::<String>().ok().as_ref() != Some(&self.origin) {
                            self.refresh().await;
                        }
                    }
                    self.listening.store(false, Ordering::Release);
                    tracing::warn!(
                        "lost the revocation channel; polling the database until it is back"
                    );
                }
                Err(err) if !reported => {
                    reported = true;
                    tracing::warn!(error = %err, "cannot subscribe to revocation notices; polling the database until Redis answers");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(RESUBSCRIBE_AFTER) => {}
            }
        }
    }

    async fn subscribe(redis: &SharedRedis, channel: &str) -> Result<redis::aio::PubSub, String> {
        let connect = async {
            let mut pubsub = redis.client().get_async_pubsub().await?;
            pubsub.subscribe(channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        // Connecting is bounded (a black-holed server must not hang the
        // loop); once subscribed, the connection waits for as long as it takes.
        match tokio::time::timeout(COMMAND_TIMEOUT * 4, connect).await {
            Ok(Ok(pubsub)) => Ok(pubsub),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err("timed out".to_owned()),
        }
    }

    /// True if the session has ended.
    pub fn is_revoked(&self, session: SessionId) -> bool {
        self.ended
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&session)
    }

    /// Wakes when a session has ended since the last look (then ask
    /// [`Revocations::is_revoked`] about yours).
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Re-reads the list from the database.
    pub async fn refresh(&self) {
        let since = self.clock.now() - self.window;
        match self.sessions.revoked_since(&self.db, since).await {
            Ok(ids) => {
                let ids: HashSet<SessionId> = ids.into_iter().collect();
                let mut ended = self.ended.write().unwrap_or_else(PoisonError::into_inner);
                let grew = !ids.is_subset(&ended);
                *ended = ids;
                drop(ended);
                if grew {
                    self.changed.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not refresh the session revocation list")
            }
        }
    }

    /// Polls until `shutdown`.
    pub async fn poll(self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => self.refresh().await,
            }
        }
    }
}
