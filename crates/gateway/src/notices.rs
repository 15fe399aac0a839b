//! Notices between instances: one Redis pub/sub subscription per process
//! carries every channel (ended sessions, changed settings and plans,
//! realtime frames), so an instance holds one subscriber connection however
//! many features listen, and each feature only reads its own queue.
//!
//! A feature calls [`Notices::subscribe`] while the application is built,
//! before [`Notices::listen`] starts; it then hears [`Notice::Subscribed`]
//! each time the subscription is (re)established (so that it can catch up
//! on whatever was said while nobody listened) and [`Notice::Message`] for
//! every notice published on its channel, its own instance's included
//! (a feature that has already acted locally recognizes its own by
//! [`Notices::origin`] in the payload). Without Redis nothing is published
//! and the queues stay silent: each feature falls back to its own polling or
//! cache expiry, exactly as on a single instance.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt as _;
use redis::ToRedisArgs;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::shared_redis::{COMMAND_TIMEOUT, SharedRedis, Unavailable};

/// How long the subscriber waits before connecting again after losing Redis.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// What a feature hears on its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The subscription is (again) in place: notices sent while it was not
    /// were lost, so re-read whatever they would have announced.
    Subscribed,
    /// A notice's payload.
    Message(Vec<u8>),
}

/// A feature's queue of notices; ends when the subscriber stops.
pub type NoticeQueue = mpsc::UnboundedReceiver<Notice>;

/// The process's notice hub; cheap to clone.
#[derive(Clone)]
pub struct Notices {
    inner: Arc<Inner>,
}

struct Inner {
    redis: Option<SharedRedis>,
    origin: String,
    /// Full channel name -> the queues of the features listening on it.
    routes: Mutex<HashMap<String, Vec<mpsc::UnboundedSender<Notice>>>>,
    listening: AtomicBool,
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notices")
            .field("redis", &self.inner.redis.is_some())
            .field("origin", &self.inner.origin)
            .finish_non_exhaustive()
    }
}

impl Notices {
    /// A hub on `redis`, or a silent one without it.
    pub fn new(redis: Option<SharedRedis>) -> Self {
        Self {
            inner: Arc::new(Inner {
                redis,
                origin: uuid::Uuid::now_v7().to_string(),
                routes: Mutex::new(HashMap::new()),
                listening: AtomicBool::new(false),
            }),
        }
    }

    /// Whether notices go anywhere (Redis is configured).
    pub fn is_shared(&self) -> bool {
        self.inner.redis.is_some()
    }

    /// The Redis connection, when configured.
    pub fn redis(&self) -> Option<&SharedRedis> {
        self.inner.redis.as_ref()
    }

    /// This process's id, for features to recognize their own notices.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    fn channel(redis: &SharedRedis, name: &str) -> String {
        // Plain names under the prefix: `<prefix>revocations` predates the
        // hub, and instances of both versions meet on it during a rollout.
        redis.key(name)
    }

    /// A queue of the notices on channel `name` (under the deployment's
    /// prefix). Call before [`Notices::listen`] starts (while building the
    /// application): the channel list is read when subscribing.
    pub fn subscribe(&self, name: &str) -> NoticeQueue {
        let (sender, queue) = mpsc::unbounded_channel();
        if let Some(redis) = &self.inner.redis {
            self.inner
                .routes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(Self::channel(redis, name))
                .or_default()
                .push(sender);
        }
        queue
    }

    /// Sends `payload` to every instance listening on `name` (this one
    /// too). Best effort: `Ok` without Redis, an error when it is down.
    pub async fn publish<P>(&self, name: &str, payload: P) -> Result<(), Unavailable>
    where
        P: ToRedisArgs + Send + Sync + 'static,
    {
        let Some(redis) = &self.inner.redis else {
            return Ok(());
        };
        let channel = Self::channel(redis, name);
        redis
            .run(|mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async::<i64>(&mut conn)
                    .await
            })
            .await
            .map(drop)
    }

    /// Whether the subscription is in place (tests wait for it).
    pub fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::Acquire)
    }

    fn routes(&self) -> HashMap<String, Vec<mpsc::UnboundedSender<Notice>>> {
        self.inner
            .routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Subscribes to every registered channel until `shutdown`, handing each
    /// notice to its features' queues; reconnects by itself. Returns at once
    /// without Redis or without channels. The queues end when it returns.
    pub async fn listen(self, shutdown: CancellationToken) {
        let Some(redis) = self.inner.redis.clone() else {
            return;
        };
        let routes = self.routes();
        // The hub keeps no sender of its own: when this returns, the
        // features' queues end.
        self.inner
            .routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        if routes.is_empty() {
            return;
        }
        let channels: Vec<String> = routes.keys().cloned().collect();
        let mut reported = false;
        loop {
            let subscribed = tokio::select! {
                _ = shutdown.cancelled() => return,
                subscribed = subscribe(&redis, &channels) => subscribed,
            };
            match subscribed {
                Ok(mut pubsub) => {
                    reported = false;
                    self.inner.listening.store(true, Ordering::Release);
                    for queue in routes.values().flatten() {
                        let _ = queue.send(Notice::Subscribed);
                    }
                    let mut notices = pubsub.on_message();
                    loop {
                        let notice = tokio::select! {
                            _ = shutdown.cancelled() => {
                                self.inner.listening.store(false, Ordering::Release);
                                return;
                            }
                            notice = notices.next() => notice,
                        };
                        let Some(notice) = notice else { break };
                        let Some(queues) = routes.get(notice.get_channel_name()) else {
                            continue;
                        };
                        let payload = notice.get_payload_bytes().to_vec();
                        for queue in queues {
                            let _ = queue.send(Notice::Message(payload.clone()));
                        }
                    }
                    self.inner.listening.store(false, Ordering::Release);
                    tracing::warn!(
                        "lost the Redis notice channels; falling back to polling and cache expiry until they are back"
                    );
                }
                Err(err) if !reported => {
                    reported = true;
                    tracing::warn!(error = %err, "cannot subscribe to Redis notices; falling back to polling and cache expiry until Redis answers");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(RESUBSCRIBE_AFTER) => {}
            }
        }
    }
}

async fn subscribe(redis: &SharedRedis, channels: &[String]) -> Result<redis::aio::PubSub, String> {
    let connect = async {
        let mut pubsub = redis.client().get_async_pubsub().await?;
        pubsub.subscribe(channels).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    // Connecting is bounded (a black-holed server must not hang the loop);
    // once subscribed, the connection waits for as long as it takes.
    match tokio::time::timeout(COMMAND_TIMEOUT * 4, connect).await {
        Ok(Ok(pubsub)) => Ok(pubsub),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}
