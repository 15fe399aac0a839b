//! Rate-limit counters in Redis, shared by every gateway: a client spreading
//! its requests over several instances gets its quota once, not once per
//! instance.
//!
//! Each request is one round trip: a Lua script (`gcra.lua`, sent by
//! EVALSHA, loaded again if the server lost it) reads, checks and updates
//! the counter atomically, with the same GCRA arithmetic as the in-process
//! [`GovernorStore`](super::rate_limit::GovernorStore), so quotas, bursts,
//! `RateLimit-*` headers and `Retry-After` read the same whichever store
//! runs. Time is the Redis server's (`TIME`), so gateways with drifting
//! clocks still agree.
//!
//! Redis down must not take the API down with it: the limiter then *fails
//! open* (lets requests through unlimited), counts each such request in
//! `trellis_rate_limit_fail_open_total{class}`, warns at most once per
//! [`WARN_EVERY`], and resumes counting by itself once Redis answers (see
//! [`SharedRedis`] for the cooldown between probes).

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use redis::Script;

use super::{
    metrics::Metrics,
    rate_limit::{Decision, RateLimitStore, RateQuota},
};
use crate::shared_redis::{SharedRedis, Unavailable};

/// How often at most the limiter says that it is failing open.
pub const WARN_EVERY: Duration = Duration::from_secs(30);

/// Counters in Redis. See the module documentation.
pub struct RedisStore {
    redis: SharedRedis,
    metrics: Arc<Metrics>,
    script: Script,
    warnings: Mutex<Warnings>,
}

/// The rate-limited warning's state: when it was last logged and how many
/// requests failed open since.
#[derive(Default)]
struct Warnings {
    last: Option<Instant>,
    unlogged: u64,
}

impl RedisStore {
    /// Counters on `redis`; fail-opens are counted in `metrics`.
    pub fn new(redis: SharedRedis, metrics: Arc<Metrics>) -> Self {
        Self {
            redis,
            metrics,
            script: Script::new(include_str!("gcra.lua")),
            warnings: Mutex::new(Warnings::default()),
        }
    }

    /// The counter's key. The quota is part of it so that a changed quota
    /// starts afresh, as the in-process store does.
    fn key(&self, class: &str, key: &str, quota: RateQuota) -> String {
        self.redis.key(&format!(
            "rl:{class}:{}:{}:{key}",
            quota.limit, quota.window_secs
        ))
    }

    fn fail_open(&self, class: &'static str, quota: RateQuota, err: &Unavailable) -> Decision {
        self.metrics.rate_limit_failed_open(class);
        let mut warnings = self.warnings.lock().unwrap_or_else(PoisonError::into_inner);
        warnings.unlogged += 1;
        if warnings.last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            tracing::warn!(
                class,
                requests = warnings.unlogged,
                error = %err,
                "rate limits are not enforced (failing open): Redis is unavailable"
            );
            warnings.last = Some(Instant::now());
            warnings.unlogged = 0;
        }
        Decision {
            allowed: true,
            quota,
            remaining: quota.limit,
            reset_after: Duration::ZERO,
            retry_after: Duration::ZERO,
        }
    }
}

#[async_trait::async_trait]
impl RateLimitStore for RedisStore {
    async fn hit(&self, class: &'static str, key: &str, quota: RateQuota) -> Decision {
        let limit = quota.limit.max(1);
        let period = Duration::from_secs(u64::from(quota.window_secs)) / limit;
        let window_us = u64::from(quota.window_secs) * 1_000_000;
        let interval_us = window_us / u64::from(limit);
        let counter = self.key(class, key, quota);
        let script = &self.script;
        let outcome = self
            .redis
            .run(|mut conn| async move {
                script
                    .key(counter)
                    .arg(interval_us)
                    .arg(window_us)
                    .invoke_async::<(i64, i64, i64)>(&mut conn)
                    .await
            })
            .await;
        match outcome {
            Ok((1, remaining, _)) => {
                let remaining = u32::try_from(remaining.max(0)).unwrap_or(0).min(limit);
                Decision {
                    allowed: true,
                    quota,
                    remaining,
                    reset_after: period * (limit - remaining),
                    retry_after: Duration::ZERO,
                }
            }
            Ok((_, _, retry_us)) => Decision {
                allowed: false,
                quota,
                remaining: 0,
                reset_after: period * limit,
                retry_after: Duration::from_micros(u64::try_from(retry_us).unwrap_or(0)),
            },
            Err(err) => self.fail_open(class, quota, &err),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tokio::{
        net::{TcpListener, TcpStream},
        task::{JoinHandle, JoinSet},
    };
    use trellis_kernel::testing::redis_or_skip;

    use super::*;

    /// A store on its own connection (as another gateway would have), with
    /// keys under `prefix`.
    fn store(url: &str, prefix: &str) -> (RedisStore, Arc<Metrics>) {
        let redis = SharedRedis::new(url, prefix).unwrap_or_else(|e| panic!("{e}"));
        let metrics = Arc::new(Metrics::new());
        (RedisStore::new(redis, metrics.clone()), metrics)
    }

    fn prefix() -> String {
        format!("trellis-test:{}:", uuid::Uuid::now_v7().simple())
    }

    #[tokio::test]
    async fn two_gateways_sharing_redis_get_the_quota_exactly_once() {
        let Some(url) = redis_or_skip("two_gateways_sharing_redis_get_the_quota_exactly_once")
        else {
            return;
        };
        let prefix = prefix();
        let (a, _) = store(&url, &prefix);
        let (b, _) = store(&url, &prefix);
        let quota = RateQuota {
            limit: 5,
            window_secs: 60,
        };

        // Alternating between the two, the same numbers as one in-process store.
        let mut remaining = Vec::new();
        for i in 0..5 {
            let gateway = if i % 2 == 0 { &a } else { &b };
            let d = gateway.hit("t", "u:1", quota).await;
            assert!(d.allowed, "request {i}");
            remaining.push(d.remaining);
        }
        assert_eq!(remaining, vec![4, 3, 2, 1, 0]);
        for gateway in [&a, &b] {
            let refused = gateway.hit("t", "u:1", quota).await;
            assert!(!refused.allowed);
            assert_eq!(refused.remaining, 0);
            // One request comes back every 12 s.
            assert!(
                refused.retry_after > Duration::from_secs(11)
                    && refused.retry_after <= Duration::from_secs(12),
                "{:?}",
                refused.retry_after
            );
            assert_eq!(refused.reset_after, Duration::from_secs(60));
        }
        // Other keys, classes and a changed quota start afresh.
        assert!(a.hit("t", "u:2", quota).await.allowed);
        assert!(b.hit("other", "u:1", quota).await.allowed);
        assert!(
            a.hit(
                "t",
                "u:1",
                RateQuota {
                    limit: 6,
                    window_secs: 60
                }
            )
            .await
            .allowed
        );
    }

    #[tokio::test]
    async fn concurrent_requests_on_two_gateways_never_exceed_the_quota() {
        let Some(url) = redis_or_skip("concurrent_requests_on_two_gateways_never_exceed_the_quota")
        else {
            return;
        };
        let prefix = prefix();
        let (a, _) = store(&url, &prefix);
        let (b, _) = store(&url, &prefix);
        let (a, b) = (Arc::new(a), Arc::new(b));
        let quota = RateQuota {
            limit: 10,
            window_secs: 600,
        };
        let mut hits = JoinSet::new();
        for i in 0..40 {
            let gateway = if i % 2 == 0 { a.clone() } else { b.clone() };
            hits.spawn(async move { gateway.hit("t", "ip:203.0.113.7", quota).await.allowed });
        }
        let allowed = hits.join_all().await.into_iter().filter(|ok| *ok).count();
        assert_eq!(allowed, 10);
    }

    #[tokio::test]
    async fn the_window_replenishes_as_in_process() {
        let Some(url) = redis_or_skip("the_window_replenishes_as_in_process") else {
            return;
        };
        let (a, _) = store(&url, &prefix());
        let quota = RateQuota {
            limit: 2,
            window_secs: 1,
        };
        assert!(a.hit("t", "k", quota).await.allowed);
        assert!(a.hit("t", "k", quota).await.allowed);
        let refused = a.hit("t", "k", quota).await;
        assert!(!refused.allowed);
        assert!(refused.retry_after <= Duration::from_millis(500));
        tokio::time::sleep(refused.retry_after + Duration::from_millis(20)).await;
        assert!(a.hit("t", "k", quota).await.allowed);
    }

    #[tokio::test]
    async fn unreachable_redis_fails_open_and_counts_it() {
        // Needs no server: nothing listens on a port just released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let (store, metrics) = store(&format!("redis://127.0.0.1:{port}"), &prefix());
        let quota = RateQuota {
            limit: 1,
            window_secs: 60,
        };
        let started = Instant::now();
        for _ in 0..20 {
            let d = store.hit("login", "ip:198.51.100.1", quota).await;
            assert!(d.allowed, "fails open");
            assert_eq!(d.remaining, 1);
        }
        assert_eq!(metrics.rate_limit_fail_opens("login"), 20);
        assert_eq!(metrics.rate_limit_fail_opens("general"), 0);
        // After the first failure the rest are told at once.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    /// A TCP proxy in front of Redis that can be cut and restored, for
    /// outages without touching the shared server.
    struct Proxy {
        addr: SocketAddr,
        target: SocketAddr,
        task: Option<JoinHandle<()>>,
    }

    impl Proxy {
        async fn start(target: SocketAddr) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
            let task = Some(tokio::spawn(Self::serve(listener, target)));
            Self { addr, target, task }
        }

        /// Closes the listener and every proxied connection.
        async fn cut(&mut self) {
            if let Some(task) = self.task.take() {
                task.abort();
                let _ = task.await;
            }
        }

        /// Listens again on the same port.
        async fn restore(&mut self) {
            let listener = TcpListener::bind(self.addr)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            self.task = Some(tokio::spawn(Self::serve(listener, self.target)));
        }

        async fn serve(listener: TcpListener, target: SocketAddr) {
            // Dropped with this task: aborting it closes every connection.
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }
    }

    #[tokio::test]
    async fn an_outage_fails_open_then_counting_resumes_by_itself() {
        let Some(url) = redis_or_skip("an_outage_fails_open_then_counting_resumes_by_itself")
        else {
            return;
        };
        let info = redis::Client::open(url.as_str())
            .unwrap_or_else(|e| panic!("{e}"))
            .get_connection_info()
            .clone();
        let target = match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => {
                tokio::net::lookup_host((host.as_str(), *port))
                    .await
                    .ok()
                    .and_then(|mut addrs| addrs.next())
                    .unwrap_or_else(|| panic!("cannot resolve {host}"))
            }
            other => panic!("the test needs a TCP Redis, not {other:?}"),
        };
        let mut proxy = Proxy::start(target).await;
        let (store, metrics) = store(&format!("redis://{}", proxy.addr), &prefix());
        let quota = RateQuota {
            limit: 2,
            window_secs: 600,
        };

        assert!(store.hit("t", "k", quota).await.allowed);
        assert!(store.hit("t", "k", quota).await.allowed);
        assert!(
            !store.hit("t", "k", quota).await.allowed,
            "counted in Redis"
        );

        proxy.cut().await;
        for _ in 0..5 {
            assert!(store.hit("t", "k", quota).await.allowed, "fails open");
        }
        assert_eq!(metrics.rate_limit_fail_opens("t"), 5);

        proxy.restore().await;
        // Within a few cooldowns the counter in Redis (still over quota)
        // refuses again, with no restart.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let d = store.hit("t", "k", quota).await;
            if !d.allowed {
                break;
            }
            assert!(Instant::now() < deadline, "never recovered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let opened = metrics.rate_limit_fail_opens("t");
        assert!(!store.hit("t", "k", quota).await.allowed);
        assert_eq!(
            metrics.rate_limit_fail_opens("t"),
            opened,
            "no longer failing open"
        );
    }
}
