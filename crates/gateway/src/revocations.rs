//! Sessions ended recently, kept in memory so that an access token of an
//! ended session (logout, revocation, deactivation, token reuse) stops working
//! at once, while verifying a token still needs no database round trip.
//!
//! The instance that ends a session refreshes the list immediately; every
//! instance also polls the database every [`POLL`], so the others follow
//! within that interval. Only sessions ended within the access-token lifetime
//! matter (older tokens have expired anyway), which bounds the list.

use std::{
    collections::HashSet,
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use trellis_identity::service::SessionService;
use trellis_kernel::{SharedClock, id::SessionId};

/// How often every instance re-reads the list.
pub const POLL: Duration = Duration::from_secs(2);

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
