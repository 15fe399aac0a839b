//! The outbox against a real database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set): recording is transactional, delivery is
//! retried with backoff and dead-lettered, a subscriber that succeeded is
//! never called again, and concurrent dispatchers never share an event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use trellis_kernel::db::WriteTransaction;

use chrono::{TimeZone, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait, sea_query::Expr};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::{
    PageRequest, SharedClock,
    clock::{Clock, ManualClock},
    id::EventId,
    outbox::{
        self, Dispatcher, Event, EventStatus, HandlerError, NewEvent, RetryPolicy, Subscriber,
        entity::event,
    },
    testing::{TestDatabase, fresh_connection},
};

/// Counts the events it handles and fails the first `failures` calls for each.
struct Recorder {
    name: &'static str,
    failures: u32,
    permanent: bool,
    seen: Mutex<HashMap<EventId, u32>>,
}

impl Recorder {
    fn new(name: &'static str, failures: u32) -> Arc<Self> {
        Arc::new(Self {
            name,
            failures,
            permanent: false,
            seen: Mutex::new(HashMap::new()),
        })
    }

    fn calls(&self, id: EventId) -> u32 {
        self.seen.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
}

#[async_trait::async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["thing.happened"]
    }

    async fn handle(&self, _txn: &DatabaseTransaction, event: &Event) -> Result<(), HandlerError> {
        let calls = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(event.id).or_default();
            *n += 1;
            *n
        };
        match (calls <= self.failures, self.permanent) {
            (false, _) => Ok(()),
            (true, false) => Err(HandlerError::transient("down for now")),
            (true, true) => Err(HandlerError::permanent("never")),
        }
    }
}

struct World {
    db: DatabaseConnection,
    clock: ManualClock,
    _guard: TestDatabase,
}

impl World {
    fn shared_clock(&self) -> SharedClock {
        Arc::new(self.clock.clone())
    }

    fn dispatcher(&self, subscribers: Vec<Arc<dyn Subscriber>>, holder: &str) -> Dispatcher {
        let policy = RetryPolicy {
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            max_attempts: 3,
            claim_ttl: Duration::from_secs(120),
        };
        Dispatcher::new(subscribers, policy, self.shared_clock(), holder)
    }

    async fn record(&self, n: u32) -> EventId {
        let event = NewEvent::new("thing.happened", n, &serde_json::json!({ "n": n })).unwrap();
        outbox::record(&self.db, &self.shared_clock(), event)
            .await
            .unwrap()
    }

    async fn row(&self, id: EventId) -> event::Model {
        event::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
    }
}

async fn world() -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    World {
        db,
        clock,
        _guard: guard,
    }
}

#[tokio::test]
async fn an_event_exists_only_if_its_transaction_commits() {
    let w = world().await;
    let clock = w.shared_clock();
    let txn = w.db.begin_write().await.unwrap();
    let event = NewEvent::new("thing.happened", 1, &1).unwrap();
    outbox::record(&txn, &clock, event).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(event::Entity::find().all(&w.db).await.unwrap().is_empty());

    let txn = w.db.begin_write().await.unwrap();
    let event = NewEvent::new("thing.happened", 2, &2).unwrap();
    let id = outbox::record(&txn, &clock, event).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(w.row(id).await.status, "pending");
}

#[tokio::test]
async fn failures_back_off_then_succeed_without_repeating_a_successful_subscriber() {
    let w = world().await;
    let steady = Recorder::new("steady", 0);
    let flaky = Recorder::new("flaky", 2);
    let dispatcher = w.dispatcher(vec![steady.clone(), flaky.clone()], "one");
    let id = w.record(1).await;

    let first = dispatcher.dispatch_due(&w.db, 10).await.unwrap();
    assert_eq!((first.claimed, first.retrying), (1, 1));
    let row = w.row(id).await;
    assert_eq!(row.status, "pending");
    assert_eq!(
        row.available_at,
        w.clock.now() + chrono::Duration::seconds(10)
    );
    assert!(row.last_error.unwrap().starts_with("flaky: "));

    // Not due before its backoff.
    assert_eq!(dispatcher.dispatch_due(&w.db, 10).await.unwrap().claimed, 0);
    w.clock.advance(chrono::Duration::seconds(10));
    assert_eq!(
        dispatcher.dispatch_due(&w.db, 10).await.unwrap().retrying,
        1
    );
    assert_eq!(
        w.row(id).await.available_at,
        w.clock.now() + chrono::Duration::seconds(20),
        "the delay doubles"
    );
    w.clock.advance(chrono::Duration::seconds(20));
    assert_eq!(
        dispatcher.dispatch_due(&w.db, 10).await.unwrap().delivered,
        1
    );

    assert_eq!(flaky.calls(id), 3);
    assert_eq!(steady.calls(id), 1, "a success is never repeated");
    let row = w.row(id).await;
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 3));
    assert!(row.delivered_at.is_some() && row.last_error.is_none());
    w.clock.advance(chrono::Duration::hours(1));
    assert_eq!(dispatcher.dispatch_due(&w.db, 10).await.unwrap().claimed, 0);
}

#[tokio::test]
async fn the_last_attempt_or_a_permanent_failure_makes_an_event_dead() {
    let w = world().await;
    let broken = Recorder::new("broken", u32::MAX);
    let dispatcher = w.dispatcher(vec![broken.clone()], "one");
    let id = w.record(1).await;
    for _ in 0..3 {
        dispatcher.dispatch_due(&w.db, 10).await.unwrap();
        w.clock.advance(chrono::Duration::minutes(5));
    }
    let row = w.row(id).await;
    assert_eq!((row.status.as_str(), row.attempts), ("dead", 3));
    assert_eq!(dispatcher.dispatch_due(&w.db, 10).await.unwrap().claimed, 0);
    assert_eq!(broken.calls(id), 3);

    let refusing = Arc::new(Recorder {
        name: "refusing",
        failures: u32::MAX,
        permanent: true,
        seen: Mutex::new(HashMap::new()),
    });
    let dispatcher = w.dispatcher(vec![refusing], "two");
    let id = w.record(2).await;
    assert_eq!(dispatcher.dispatch_due(&w.db, 10).await.unwrap().dead, 1);
    assert_eq!(w.row(id).await.attempts, 1);

    let page = PageRequest::parse(None, None).unwrap();
    let dead = outbox::list(&w.db, Some(EventStatus::Dead), &page)
        .await
        .unwrap();
    assert_eq!(dead.items.len(), 2);
}

#[tokio::test]
async fn a_crashed_dispatchers_claim_expires_and_another_delivers() {
    let w = world().await;
    let id = w.record(1).await;
    // A dispatcher claimed the event and died before settling it: the row
    // is left as its claim statement leaves it.
    event::Entity::update_many()
        .col_expr(event::Column::Status, Expr::value("processing"))
        .col_expr(event::Column::ClaimedBy, Expr::value("dead-one"))
        .col_expr(
            event::Column::ClaimedUntil,
            Expr::value(w.clock.now() + chrono::Duration::minutes(2)),
        )
        .exec(&w.db)
        .await
        .unwrap();
    let survivor = Recorder::new("survivor", 0);
    let dispatcher = w.dispatcher(vec![survivor.clone()], "survivor");
    assert_eq!(dispatcher.dispatch_due(&w.db, 10).await.unwrap().claimed, 0);
    w.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(
        dispatcher.dispatch_due(&w.db, 10).await.unwrap().delivered,
        1
    );
    assert_eq!(survivor.calls(id), 1);
}

#[tokio::test]
async fn sensitive_payloads_are_erased_once_delivered() {
    let w = world().await;
    let payload = serde_json::json!({"link": "secret"});
    let event = NewEvent::new("thing.happened", 1, &payload)
        .unwrap()
        .sensitive();
    let id = outbox::record(&w.db, &w.shared_clock(), event)
        .await
        .unwrap();
    let dispatcher = w.dispatcher(vec![Recorder::new("r", 0)], "one");
    dispatcher.dispatch_due(&w.db, 10).await.unwrap();
    assert_eq!(w.row(id).await.payload, "{}");
}

async fn drain(dispatcher: &Dispatcher, db: &DatabaseConnection) -> usize {
    let mut total = 0;
    for _ in 0..20 {
        total += dispatcher.dispatch_due(db, 3).await.unwrap().delivered;
    }
    total
}

#[tokio::test]
async fn concurrent_dispatchers_deliver_each_event_once() {
    let w = world().await;
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(w.record(n).await);
    }
    let shared = Recorder::new("shared", 0);
    let a = w.dispatcher(vec![shared.clone()], "a");
    let b = w.dispatcher(vec![shared.clone()], "b");
    let (ra, rb) = tokio::join!(drain(&a, &w.db), drain(&b, &w.db));
    assert_eq!(ra + rb, 40);
    for id in ids {
        assert_eq!(shared.calls(id), 1);
    }
}

/// Panics on every event.
struct Panicker;

#[async_trait::async_trait]
impl Subscriber for Panicker {
    fn name(&self) -> &'static str {
        "panicker"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["thing.happened"]
    }

    async fn handle(&self, _txn: &DatabaseTransaction, _event: &Event) -> Result<(), HandlerError> {
        panic!("a bug in a subscriber")
    }
}

#[tokio::test]
async fn a_panicking_subscriber_is_a_retryable_failure_not_a_dead_dispatcher() {
    let w = world().await;
    let id = w.record(1).await;
    let dispatcher = w.dispatcher(vec![Arc::new(Panicker)], "one");
    let report = dispatcher.dispatch_due(&w.db, 10).await.unwrap();
    assert_eq!(report.retrying, 1);
    let row = w.row(id).await;
    assert_eq!(row.status, "pending");
    assert!(row.last_error.unwrap().contains("panicked"));
}

#[tokio::test]
async fn only_kinds_with_a_local_subscriber_are_claimed() {
    let w = world().await;
    let clock = w.shared_clock();
    let unknown = NewEvent::new("other.thing", 1, &1).unwrap();
    let id = outbox::record(&w.db, &clock, unknown).await.unwrap();
    let dispatcher = w.dispatcher(vec![Recorder::new("r", 0)], "old-build");
    assert_eq!(dispatcher.dispatch_due(&w.db, 10).await.unwrap().claimed, 0);
    assert_eq!(
        w.row(id).await.status,
        "pending",
        "left for whoever knows it"
    );
}

#[tokio::test]
async fn a_dead_sensitive_event_keeps_no_secret() {
    let w = world().await;
    let payload = serde_json::json!({"link": "secret"});
    let event = NewEvent::new("thing.happened", 1, &payload)
        .unwrap()
        .sensitive();
    let id = outbox::record(&w.db, &w.shared_clock(), event)
        .await
        .unwrap();
    let refusing = Arc::new(Recorder {
        name: "refusing",
        failures: u32::MAX,
        permanent: true,
        seen: Mutex::new(HashMap::new()),
    });
    w.dispatcher(vec![refusing], "one")
        .dispatch_due(&w.db, 10)
        .await
        .unwrap();
    let row = w.row(id).await;
    assert_eq!((row.status.as_str(), row.payload.as_str()), ("dead", "{}"));
}

/// Records a follow-up event on the dispatcher's transaction, then fails
/// the first `failures` calls: what it wrote must vanish with each failure.
struct Chainer {
    failures: u32,
    calls: Mutex<u32>,
    clock: SharedClock,
}

#[async_trait::async_trait]
impl Subscriber for Chainer {
    fn name(&self) -> &'static str {
        "chainer"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["thing.happened"]
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Event) -> Result<(), HandlerError> {
        let follow_up = NewEvent::new("thing.followed", event.id, &1).unwrap();
        outbox::record(txn, &self.clock, follow_up)
            .await
            .map_err(HandlerError::transient)?;
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        if *calls <= self.failures {
            return Err(HandlerError::transient("failed after writing"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_subscribers_writes_commit_with_its_success_and_vanish_with_its_failure() {
    let w = world().await;
    let chainer = Arc::new(Chainer {
        failures: 1,
        calls: Mutex::new(0),
        clock: w.shared_clock(),
    });
    let dispatcher = w.dispatcher(vec![chainer.clone()], "one");
    let id = w.record(1).await;
    let follow_ups = || async {
        event::Entity::find()
            .all(&w.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "thing.followed")
            .count()
    };

    let report = dispatcher.dispatch_due(&w.db, 10).await.unwrap();
    assert_eq!(report.retrying, 1);
    assert_eq!(
        follow_ups().await,
        0,
        "the failed attempt's write rolled back"
    );

    w.clock.advance(chrono::Duration::seconds(11));
    let report = dispatcher.dispatch_due(&w.db, 10).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(
        follow_ups().await,
        1,
        "the successful attempt's write committed"
    );
    assert_eq!(w.row(id).await.status, "delivered");

    // Handled is final: a later pass finds nothing to do for it.
    w.clock.advance(chrono::Duration::seconds(600));
    dispatcher.dispatch_due(&w.db, 10).await.unwrap();
    assert_eq!(*chainer.calls.lock().unwrap(), 2);
}
