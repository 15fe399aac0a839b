//! The connection every instance shares state through (rate-limit counters,
//! revocation notices), when `REDIS_URL` is set.
//!
//! Redis is a helper here, never a dependency a request must wait for: each
//! command has a short deadline, and after a failure the connection is
//! treated as down for [`COOLDOWN`], during which callers are told at once
//! (so a dead server costs no latency) and one caller per cooldown probes it
//! again. The redis crate's `ConnectionManager` reconnects by itself; while
//! the server stays unreachable a fresh manager is also made at each failed
//! probe, so recovery never depends on the state an old manager gave up in.

use std::{
    future::Future,
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{
    Client, RedisError, RedisResult,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use crate::config::redact_url;

/// How long a failed server is left alone before the next probe.
pub const COOLDOWN: Duration = Duration::from_secs(1);

/// The longest a command may take before it counts as a failure. Redis
/// answers in well under a millisecond on a healthy network; anything near
/// this is an outage, and a request should not wait for it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);

/// Why a Redis command gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// A recent command failed; the server is being left alone for a while.
    #[error("Redis is considered down since a recent failure")]
    CoolingDown,
    /// The command took longer than [`COMMAND_TIMEOUT`].
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The client or server reported an error.
    #[error("Redis error: {0}")]
    Redis(#[from] RedisError),
}

/// A handle on the shared Redis: cheap to clone, one connection per process.
#[derive(Clone)]
pub struct SharedRedis {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    manager: RwLock<ConnectionManager>,
    prefix: String,
    /// The instant every `*_ms` field counts from.
    epoch: Instant,
    /// While `now < down_until_ms`, commands are not sent; 0 when healthy.
    down_until_ms: AtomicU64,
    url: String,
}

impl std::fmt::Debug for SharedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis")
            .field("url", &redact_url(&self.inner.url))
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

fn manager(client: &Client) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(COMMAND_TIMEOUT))
        .set_response_timeout(Some(COMMAND_TIMEOUT))
        // One quick retry: longer outages are the cooldown's business, and
        // callers must not queue behind a long backoff.
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(20))
        .set_max_delay(Duration::from_millis(100));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

impl SharedRedis {
    /// A handle on the server at `url`, with every key under `prefix`. Does
    /// not connect: the first command does, so an instance starts (and
    /// serves, failing open) while Redis is still down.
    pub fn new(url: &str, prefix: &str) -> RedisResult<Self> {
        let client = Client::open(url)?;
        let manager = manager(&client)?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                manager: RwLock::new(manager),
                prefix: prefix.to_owned(),
                epoch: Instant::now(),
                down_until_ms: AtomicU64::new(0),
                url: url.to_owned(),
            }),
        })
    }

    /// `name` under this deployment's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.inner.prefix)
    }

    /// The client, for connections of their own (a subscriber's).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.inner.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs `op` on the shared connection, within [`COMMAND_TIMEOUT`], unless
    /// the server is cooling down after a failure.
    pub async fn run<T, F, Fut>(&self, op: F) -> Result<T, Unavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let now = self.now_ms();
        let until = self.inner.down_until_ms.load(Ordering::Acquire);
        if until != 0 {
            // Down: wait out the cooldown, then let exactly one caller probe
            // while the others keep being told at once.
            let cooldown = u64::try_from(COOLDOWN.as_millis()).unwrap_or(1000);
            if now < until
                || self
                    .inner
                    .down_until_ms
                    .compare_exchange(until, now + cooldown, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
            {
                return Err(Unavailable::CoolingDown);
            }
        }
        let connection = self
            .inner
            .manager
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let result = match tokio::time::timeout(COMMAND_TIMEOUT, op(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(Unavailable::Redis(err)),
            Err(_) => Err(Unavailable::Timeout(COMMAND_TIMEOUT)),
        };
        match &result {
            Ok(_) => {
                if self.inner.down_until_ms.swap(0, Ordering::AcqRel) != 0 {
                    tracing::info!(url = %redact_url(&self.inner.url), "Redis is reachable again");
                }
            }
            // The server answered: the connection is fine, the command was not.
            Err(Unavailable::Redis(err))
                if matches!(err.kind(), redis::ErrorKind::Server(_))
                    && !err.is_unrecoverable_error() => {}
            Err(err) => self.failed(until, err),
        }
        result
    }

    /// Marks the server down; a probe that failed also gets a fresh manager.
    fn failed(&self, was_down_until: u64, err: &Unavailable) {
        let cooldown = u64::try_from(COOLDOWN.as_millis()).unwrap_or(1000);
        let previous = self
            .inner
            .down_until_ms
            .swap(self.now_ms() + cooldown, Ordering::AcqRel);
        if was_down_until != 0 {
            // A failed probe: start over with a fresh manager next time.
            if let Ok(fresh) = manager(&self.inner.client) {
                *self
                    .inner
                    .manager
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = fresh;
            }
        } else if previous == 0 {
            tracing::warn!(
                url = %redact_url(&self.inner.url),
                error = %err,
                "Redis is unreachable; shared state falls back (rate limits fail open) until it answers"
            );
        }
    }

    /// PING, for `/readyz`.
    pub async fn ping(&self) -> Result<(), Unavailable> {
        self.run(|mut conn| async move {
            redis::cmd("PING").query_async::<String>(&mut conn).await?;
            Ok(())
        })
        .await
    }
}
