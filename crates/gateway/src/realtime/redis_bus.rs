//! The realtime bus of a gateway among several: a change published on one
//! instance reaches the sockets connected to every other, and "who is
//! online" counts every instance's sockets.
//!
//! Each instance keeps its own sockets in an [`InProcessBus`]. A delivery is
//! handed to it at once (so this instance's sockets never wait for Redis,
//! and still hear everything while Redis is down), then published once on
//! the `<prefix>realtime` channel; every instance hears it on its single
//! notice subscription (the [`Notices`] hub, not one per socket) and hands
//! it to its own sockets, ignoring its own deliveries.
//!
//! Presence is in Redis too, kept alive by the instances rather than
//! cleaned up by them, so that an instance that dies takes its users
//! offline by itself: per user, a sorted set `<prefix>presence:<user>` of
//! the instances where they have a socket, each scored with the Redis
//! server's time of that instance's last refresh. Every instance refreshes
//! its users every [`Presence::ttl`] / 3 (and at once when one comes online
//! or goes offline here); a user is online while some instance's entry is
//! younger than the TTL. An instance that stops refreshing (crashed,
//! partitioned) drops out of every set within the TTL, with no one having
//! to clean up after it, and the keys expire once nobody refreshes them.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use redis::Script;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use trellis_kernel::id::UserId;
use trellis_messaging::realtime::{Delivery, Frame, InProcessBus, RealtimeBus, Subscription};

use crate::{
    notices::{Notice, NoticeQueue, Notices},
    shared_redis::{SharedRedis, Unavailable},
};

/// The notice channel of realtime deliveries.
pub const CHANNEL: &str = "realtime";

/// How long an instance's presence entries live without a refresh.
pub const PRESENCE_TTL: Duration = Duration::from_secs(30);

/// How often at most a failure to reach Redis is logged.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// A delivery as it travels between instances.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The instance that published it (and delivered it locally already).
    origin: String,
    to: Vec<UserId>,
    frame: String,
}

/// Who is online where, in Redis. See the module documentation.
#[derive(Clone)]
pub struct Presence {
    redis: SharedRedis,
    instance: String,
    ttl: Duration,
    refresh: Arc<Script>,
    leave: Arc<Script>,
    online: Arc<Script>,
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence")
            .field("instance", &self.instance)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// `ZADD` this instance with the server's time (ms) to every key, and keep
/// each key for twice the TTL (ARGV: instance, ttl ms). Dead instances'
/// entries are dropped on the way, so a key that other instances keep
/// alive does not collect them.
const REFRESH: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - ttl))
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, ttl * 2)
end
return now
";

/// `ZREM` this instance from every key (ARGV: instance).
const LEAVE: &str = r"
for _, key in ipairs(KEYS) do
  redis.call('ZREM', key, ARGV[1])
end
return 0
";

/// For each key, 1 if some instance refreshed it within the TTL (ARGV: ttl
/// ms). Read-only: stale entries go with the key's expiry or the next
/// refresh of another instance, not here.
const ONLINE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local since = now - tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('ZCOUNT', key, '(' .. since, '+inf') > 0 and 1 or 0
end
return out
";

impl Presence {
    /// Presence entries of `instance` on `redis`, living `ttl` unrefreshed.
    pub fn new(redis: SharedRedis, instance: String, ttl: Duration) -> Self {
        Self {
            redis,
            instance,
            ttl,
            refresh: Arc::new(Script::new(REFRESH)),
            leave: Arc::new(Script::new(LEAVE)),
            online: Arc::new(Script::new(ONLINE)),
        }
    }

    /// How long an entry lives without a refresh.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn key(&self, user: UserId) -> String {
        self.redis.key(&format!("presence:{user}"))
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    async fn invoke<T>(
        &self,
        script: &Arc<Script>,
        users: &[UserId],
        arg: Option<&str>,
    ) -> Result<T, Unavailable>
    where
        T: redis::FromRedisValue + Send + 'static,
    {
        let keys: Vec<String> = users.iter().map(|u| self.key(*u)).collect();
        let script = script.clone();
        let first = arg.map(str::to_owned);
        let ttl = self.ttl_ms();
        self.redis
            .run(|mut conn| async move {
                let mut invocation = script.prepare_invoke();
                for key in keys {
                    invocation.key(key);
                }
                if let Some(first) = first {
                    invocation.arg(first);
                }
                invocation.arg(ttl);
                invocation.invoke_async::<T>(&mut conn).await
            })
            .await
    }

    /// Marks `users` online on this instance, for another TTL.
    pub async fn refresh(&self, users: &[UserId]) -> Result<(), Unavailable> {
        if users.is_empty() {
            return Ok(());
        }
        let instance = self.instance.clone();
        self.invoke::<i64>(&self.refresh, users, Some(&instance))
            .await
            .map(drop)
    }

    /// Marks `users` offline on this instance (their last socket here closed).
    pub async fn leave(&self, users: &[UserId]) -> Result<(), Unavailable> {
        if users.is_empty() {
            return Ok(());
        }
        let instance = self.instance.clone();
        self.invoke::<i64>(&self.leave, users, Some(&instance))
            .await
            .map(drop)
    }

    /// Those of `users` online on any instance.
    pub async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>, Unavailable> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        let flags: Vec<i64> = self.invoke(&self.online, users, None).await?;
        Ok(users
            .iter()
            .zip(flags)
            .filter(|(_, online)| *online == 1)
            .map(|(user, _)| *user)
            .collect())
    }
}

/// Logs a Redis failure at most once per [`WARN_EVERY`].
#[derive(Default)]
struct Warnings {
    last: Mutex<Option<Instant>>,
}

impl Warnings {
    fn warn(&self, what: &str, err: &Unavailable) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(error = %err, "{what}: Redis is unavailable; this instance's own sockets are unaffected");
        }
    }
}

/// The bus of one gateway among several. See the module documentation.
#[derive(Clone)]
pub struct RedisBus {
    local: InProcessBus,
    notices: Notices,
    presence: Presence,
    warnings: Arc<Warnings>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("presence", &self.presence)
            .finish_non_exhaustive()
    }
}

impl RedisBus {
    /// A bus publishing through `notices` (which must have Redis) with
    /// presence entries living `presence_ttl` unrefreshed.
    pub fn new(redis: SharedRedis, notices: Notices, presence_ttl: Duration) -> Self {
        let presence = Presence::new(redis, notices.origin().to_owned(), presence_ttl);
        Self {
            local: InProcessBus::new(),
            notices,
            presence,
            warnings: Arc::new(Warnings::default()),
        }
    }

    /// The presence store.
    pub fn presence(&self) -> &Presence {
        &self.presence
    }

    /// Hands the other instances' deliveries on `queue` (the hub's
    /// [`CHANNEL`] queue) to this instance's sockets, until `shutdown` or
    /// the queue ends.
    pub async fn listen(self, mut queue: NoticeQueue, shutdown: CancellationToken) {
        loop {
            let notice = tokio::select! {
                _ = shutdown.cancelled() => return,
                notice = queue.recv() => notice,
            };
            match notice {
                None => return,
                Some(Notice::Subscribed) => {}
                Some(Notice::Message(payload)) => {
                    match serde_json::from_slice::<Envelope>(&payload) {
                        Ok(envelope) if envelope.origin == self.notices.origin() => {}
                        Ok(envelope) => {
                            self.local
                                .publish(Delivery {
                                    to: envelope.to,
                                    frame: Frame(envelope.frame.into()),
                                })
                                .await;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "unreadable realtime notice ignored");
                        }
                    }
                }
            }
        }
    }

    /// Keeps this instance's presence entries alive until `shutdown`:
    /// refreshes every user connected here every TTL / 3, and at once when
    /// one comes online or goes offline here; then takes them all offline.
    pub async fn keep_presence(self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.presence.ttl / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut known: HashSet<UserId> = HashSet::new();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
                _ = self.local.presence_changed() => {}
            }
            let now: HashSet<UserId> = self.local.users().into_iter().collect();
            let gone: Vec<UserId> = known.difference(&now).copied().collect();
            let here: Vec<UserId> = now.iter().copied().collect();
            let left = self.presence.leave(&gone).await;
            let refreshed = self.presence.refresh(&here).await;
            match left.and(refreshed) {
                Ok(()) => known = now,
                // Try the whole difference again next time.
                Err(err) => {
                    known.extend(now);
                    self.warnings.warn("presence not refreshed", &err);
                }
            }
        }
        let known: Vec<UserId> = known.into_iter().collect();
        if let Err(err) = self.presence.leave(&known).await {
            tracing::debug!(error = %err, "presence not cleared at shutdown; it expires by itself");
        }
    }
}

#[async_trait::async_trait]
impl RealtimeBus for RedisBus {
    async fn publish(&self, delivery: Delivery) {
        self.local.publish(delivery.clone()).await;
        let envelope = Envelope {
            origin: self.notices.origin().to_owned(),
            to: delivery.to,
            frame: delivery.frame.as_str().to_owned(),
        };
        let payload = match serde_json::to_vec(&envelope) {
            Ok(payload) => payload,
            Err(err) => {
                tracing::warn!(error = %err, "realtime delivery not encodable for other instances");
                return;
            }
        };
        if let Err(err) = self.notices.publish(CHANNEL, payload).await {
            self.warnings
                .warn("realtime changes do not reach other instances", &err);
        }
    }

    fn connect(&self, user: UserId, capacity: usize) -> Subscription {
        self.local.connect(user, capacity)
    }

    async fn online(&self, users: &[UserId]) -> HashSet<UserId> {
        let mut online = self.local.online(users).await;
        let elsewhere: Vec<UserId> = users
            .iter()
            .filter(|u| !online.contains(u))
            .copied()
            .collect();
        match self.presence.online(&elsewhere).await {
            Ok(found) => online.extend(found),
            Err(err) => self
                .warnings
                .warn("presence on other instances unknown", &err),
        }
        online
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::testing::redis_or_skip;

    use super::*;

    fn prefix() -> String {
        format!("trellis-test:{}:", uuid::Uuid::now_v7().simple())
    }

    fn presence(url: &str, prefix: &str, instance: &str, ttl: Duration) -> Presence {
        let redis = SharedRedis::new(url, prefix).unwrap_or_else(|e| panic!("{e}"));
        Presence::new(redis, instance.to_owned(), ttl)
    }

    #[tokio::test]
    async fn presence_of_an_instance_that_stops_refreshing_expires() {
        let Some(url) = redis_or_skip("presence_of_an_instance_that_stops_refreshing_expires")
        else {
            return;
        };
        let prefix = prefix();
        let ttl = Duration::from_millis(600);
        let a = presence(&url, &prefix, "a", ttl);
        let b = presence(&url, &prefix, "b", ttl);
        let (ana, bea, nobody) = (UserId::new(), UserId::new(), UserId::new());
        a.refresh(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        b.refresh(&[bea]).await.unwrap_or_else(|e| panic!("{e}"));
        let everyone = [ana, bea, nobody];
        let online = b.online(&everyone).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            online,
            HashSet::from([ana, bea]),
            "each sees the other's users"
        );

        // B keeps refreshing; A dies (stops refreshing, cleans nothing up).
        let started = Instant::now();
        while started.elapsed() < ttl * 2 {
            b.refresh(&[bea]).await.unwrap_or_else(|e| panic!("{e}"));
            tokio::time::sleep(ttl / 4).await;
        }
        let online = b.online(&everyone).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(online, HashSet::from([bea]), "A's entries expired");
    }

    #[tokio::test]
    async fn a_user_online_on_two_instances_stays_online_until_both_leave() {
        let Some(url) =
            redis_or_skip("a_user_online_on_two_instances_stays_online_until_both_leave")
        else {
            return;
        };
        let prefix = prefix();
        let a = presence(&url, &prefix, "a", PRESENCE_TTL);
        let b = presence(&url, &prefix, "b", PRESENCE_TTL);
        let ana = UserId::new();
        a.refresh(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        b.refresh(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        a.leave(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        let online = a.online(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(online.contains(&ana), "still connected to B");
        b.leave(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        let online = a.online(&[ana]).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(online.is_empty());
    }
}
