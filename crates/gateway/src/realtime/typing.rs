//! Who is typing where, and when it lapses.
//!
//! A `typing` frame marks `(room, user)` as typing until the lifetime passes
//! without a refresh; then a `stop_typing` goes out as if the client had sent
//! it (a client that vanishes mid-sentence leaves no indicator behind). The
//! state is this process's: a user typing on two instances is tracked twice,
//! which at worst repeats an indicator.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;
use trellis_kernel::id::UserId;
use trellis_messaging::ids::RoomId;

/// One typing indicator: which refresh series it is and when it lapses.
#[derive(Debug, Clone, Copy)]
struct Typing {
    series: u64,
    until: Instant,
}

/// Typing indicators with their expiry.
#[derive(Debug, Clone)]
pub struct TypingTracker {
    inner: Arc<Mutex<Inner>>,
    ttl: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    next_series: u64,
    typing: HashMap<(RoomId, UserId), Typing>,
}

impl TypingTracker {
    /// Indicators lapse `ttl` after their last refresh.
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `user` as typing in `room` for another lifetime. Returns the new
    /// series when they were not typing (the caller then waits for it with
    /// [`TypingTracker::lapsed`]), `None` for a refresh.
    pub fn touch(&self, room: RoomId, user: UserId) -> Option<u64> {
        let until = Instant::now() + self.ttl;
        let mut inner = self.lock();
        if let Some(typing) = inner.typing.get_mut(&(room, user)) {
            typing.until = until;
            return None;
        }
        inner.next_series += 1;
        let series = inner.next_series;
        inner.typing.insert((room, user), Typing { series, until });
        Some(series)
    }

    /// Forgets the indicator; true if there was one.
    pub fn stop(&self, room: RoomId, user: UserId) -> bool {
        self.lock().typing.remove(&(room, user)).is_some()
    }

    /// Waits until `series` lapses (true, and the indicator is gone) or is
    /// stopped (false).
    pub async fn lapsed(&self, room: RoomId, user: UserId, series: u64) -> bool {
        loop {
            let until = match self.lock().typing.get(&(room, user)) {
                Some(typing) if typing.series == series => typing.until,
                _ => return false,
            };
            tokio::time::sleep_until(until).await;
            let mut inner = self.lock();
            match inner.typing.get(&(room, user)) {
                Some(typing) if typing.series == series && typing.until <= Instant::now() => {
                    inner.typing.remove(&(room, user));
                    return true;
                }
                Some(typing) if typing.series == series => {}
                _ => return false,
            }
        }
    }

    /// Indicators currently held (tests).
    pub fn len(&self) -> usize {
        self.lock().typing.len()
    }

    /// True when nobody is typing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn an_indicator_lapses_a_lifetime_after_its_last_refresh() {
        let tracker = TypingTracker::new(TTL);
        let (room, user) = (RoomId::new(), UserId::new());
        let series = tracker.touch(room, user).unwrap_or_default();
        let waiter = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.lapsed(room, user, series).await }
        });
        // Refreshed well within the lifetime, three lifetimes long.
        for _ in 0..30 {
            tokio::time::sleep(TTL / 10).await;
            assert_eq!(tracker.touch(room, user), None, "a refresh");
        }
        assert!(!waiter.is_finished(), "still typing");
        let lapsed = tokio::time::timeout(TTL * 10, waiter).await;
        assert!(matches!(lapsed, Ok(Ok(true))), "{lapsed:?}");
        assert!(tracker.is_empty());
    }

    #[tokio::test]
    async fn a_stopped_indicator_does_not_lapse() {
        let tracker = TypingTracker::new(TTL);
        let (room, user) = (RoomId::new(), UserId::new());
        let series = tracker.touch(room, user).unwrap_or_default();
        assert!(tracker.stop(room, user));
        assert!(!tracker.stop(room, user));
        assert!(!tracker.lapsed(room, user, series).await);
        // Typing again starts a new series; the old one never fires.
        let again = tracker.touch(room, user).unwrap_or_default();
        assert_ne!(again, series);
        assert!(!tracker.lapsed(room, user, series).await);
        assert!(tracker.lapsed(room, user, again).await);
    }
}
