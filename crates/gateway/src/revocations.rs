//! Sessions ended recently, kept in memory so that an access token of an
//! ended session (logout, revocation, deactivation, token reuse) stops working
//! at once, while verifying a token still needs no database round trip.
//!
//! The instance that ends a session refreshes the list immediately
//! ([`Revocations::ended`]). With Redis it also publishes a notice on the
//! `revocations` channel of the instance's [`Notices`] hub, and every
//! instance re-reads the list on hearing it ([`Revocations::listen`]): the session stops working
//! everywhere within a round trip, not a poll. Every instance still polls
//! the database every [`POLL`], the fallback that covers Redis being down, a
//! notice lost while a subscriber reconnected, or no Redis at all. Only
//! sessions ended within the access-token lifetime matter (older tokens have
//! expired anyway), which bounds the list.

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

use crate::notices::{Notice, NoticeQueue, Notices};

/// The notice channel of ended sessions.
pub const CHANNEL: &str = "revocations";

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
    /// Where notices go and come from (silent without Redis).
    notices: Notices,
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
            notices: Notices::new(None),
        }
    }

    /// Tells (and hears from) the other instances through `notices`.
    pub fn with_notices(mut self, notices: Notices) -> Self {
        self.notices = notices;
        self
    }

    /// A session (or every session of a user) ended here: re-read the list,
    /// then tell the other instances to do the same. Best effort: if Redis
    /// is down they follow within [`POLL`].
    pub async fn ended(&self) {
        self.refresh().await;
        let origin = self.notices.origin().to_owned();
        if let Err(err) = self.notices.publish(CHANNEL, origin).await {
            tracing::warn!(error = %err, "could not announce an ended session; other instances follow within the poll");
        }
    }

    /// Whether this instance currently hears other instances' notices.
    pub fn is_listening(&self) -> bool {
        self.notices.is_listening()
    }

    /// Re-reads the list on each notice of `queue` (the hub's
    /// [`CHANNEL`] queue) other than this instance's own, and whenever the
    /// subscription is (re)established, until `shutdown` or the queue ends.
    pub async fn listen(self, mut queue: NoticeQueue, shutdown: CancellationToken) {
        loop {
            let notice = tokio::select! {
                _ = shutdown.cancelled() => return,
                notice = queue.recv() => notice,
            };
            match notice {
                None => return,
                Some(Notice::Message(from)) if from == self.notices.origin().as_bytes() => {}
                // Whatever ended while nobody listened, or elsewhere now.
                Some(_) => self.refresh().await,
            }
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
