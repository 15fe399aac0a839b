//! The realtime bus: how a committed change reaches the sockets of the
//! people it concerns.
//!
//! A change is published once, already encoded as the JSON text frame
//! sockets send, addressed to user ids: the room's members as they are
//! after the change. Addressing people rather than rooms is what keeps a
//! removed member from hearing anything more, without any socket having to
//! track memberships. Delivery is best effort and never durable (the outbox
//! is for what must not be lost); a socket that cannot keep up is cut off
//! rather than buffered without bound.
//!
//! [`InProcessBus`] serves one gateway; with Redis the gateway wraps it in a
//! bus that also carries deliveries to the other instances (Redis pub/sub)
//! and asks them who is online (presence in Redis), behind the same trait.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use poem_openapi::{Object, Union, types::ToJSON};
use tokio::sync::{Notify, mpsc};
use trellis_kernel::id::UserId;

use crate::{
    ids::{MessageId, RoomId},
    model::{MemberRole, MessageView, RoomKind},
};

/// A frame the server sends on a socket, tagged by `type`.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "type", one_of)]
pub enum ServerEvent {
    /// A new message.
    #[oai(mapping = "message")]
    Message(MessageEvent),
    /// A message's text changed.
    #[oai(mapping = "message_edited")]
    MessageEdited(MessageEvent),
    /// A message was deleted.
    #[oai(mapping = "message_deleted")]
    MessageDeleted(MessageDeletedEvent),
    /// Someone is typing.
    #[oai(mapping = "typing")]
    Typing(TypingEvent),
    /// Someone stopped typing (or their typing expired).
    #[oai(mapping = "stop_typing")]
    StopTyping(TypingEvent),
    /// Someone's read marker moved.
    #[oai(mapping = "read")]
    Read(ReadEvent),
    /// Someone joined a room.
    #[oai(mapping = "member_joined")]
    MemberJoined(MemberEvent),
    /// Someone left or was removed.
    #[oai(mapping = "member_left")]
    MemberLeft(MemberEvent),
    /// A room the recipient is a member of was created.
    #[oai(mapping = "room_created")]
    RoomCreated(RoomCreatedEvent),
}

/// `message` and `message_edited`.
#[derive(Debug, Clone, Object)]
pub struct MessageEvent {
    /// The message as it now is.
    pub message: MessageView,
}

/// `message_deleted`.
#[derive(Debug, Clone, Object)]
pub struct MessageDeletedEvent {
    /// The room.
    pub room_id: RoomId,
    /// The deleted message.
    pub message_id: MessageId,
}

/// `typing` and `stop_typing`.
#[derive(Debug, Clone, Object)]
pub struct TypingEvent {
    /// The room.
    pub room_id: RoomId,
    /// Who.
    pub user_id: UserId,
}

/// `read`.
#[derive(Debug, Clone, Object)]
pub struct ReadEvent {
    /// The room.
    pub room_id: RoomId,
    /// Whose marker.
    pub user_id: UserId,
    /// The newest message they read.
    pub up_to: MessageId,
}

/// `member_joined` and `member_left`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberEvent {
    /// The room.
    pub room_id: RoomId,
    /// Who.
    pub user_id: UserId,
    /// Their role (joined only).
    pub role: Option<MemberRole>,
}

/// `room_created`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoomCreatedEvent {
    /// The room.
    pub room_id: RoomId,
    /// Direct or group.
    pub kind: RoomKind,
    /// A group's name.
    pub name: Option<String>,
}

impl ServerEvent {
    /// The JSON text frame.
    pub fn to_frame(&self) -> Frame {
        Frame(self.to_json_string().into())
    }
}

/// An encoded text frame, shared by every socket it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(pub Arc<str>);

impl Frame {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One published change.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Who should receive it.
    pub to: Vec<UserId>,
    /// What they receive.
    pub frame: Frame,
}

/// Fans changes out to connected sockets.
#[async_trait::async_trait]
pub trait RealtimeBus: Send + Sync + 'static {
    /// Sends `delivery` to every connection of every addressed user. Never
    /// waits for a slow connection: one whose queue is full is cut off.
    async fn publish(&self, delivery: Delivery);

    /// Registers a connection of `user` with a queue of `capacity` frames.
    fn connect(&self, user: UserId, capacity: usize) -> Subscription;

    /// Those of `users` with at least one open connection: a chat message
    /// reaches them live, so they are not notified of it.
    async fn online(&self, users: &[UserId]) -> HashSet<UserId>;
}

/// A connection's end of the bus. When [`Subscription::recv`] returns
/// `None`, the bus let go of it: [`Subscription::lagged`] says whether
/// because it fell behind.
#[derive(Debug)]
pub struct Subscription {
    frames: mpsc::Receiver<Frame>,
    lagged: Arc<AtomicBool>,
    _registration: Registration,
}

impl Subscription {
    /// The next frame, or `None` once disconnected.
    pub async fn recv(&mut self) -> Option<Frame> {
        self.frames.recv().await
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&mut self) -> Option<Frame> {
        self.frames.try_recv().ok()
    }

    /// True if the bus cut this connection off because its queue was full.
    pub fn lagged(&self) -> bool {
        self.lagged.load(Ordering::Acquire)
    }
}

/// Unregisters a connection when its subscription is dropped.
struct Registration {
    bus: Arc<Registry>,
    user: UserId,
    id: u64,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("user", &self.user)
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.bus.remove(self.user, self.id);
    }
}

/// A registered connection, as the bus holds it.
struct Connection {
    id: u64,
    frames: mpsc::Sender<Frame>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
struct Registry {
    next_id: AtomicU64,
    connections: Mutex<HashMap<UserId, Vec<Connection>>>,
    /// Woken when a user comes online here or goes offline (see
    /// [`InProcessBus::presence_changed`]).
    presence: Notify,
}

impl Registry {
    fn remove(&self, user: UserId, id: u64) {
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = connections.get_mut(&user) {
            list.retain(|c| c.id != id);
            if list.is_empty() {
                connections.remove(&user);
                self.presence.notify_one();
            }
        }
    }
}

/// The bus of a single gateway process.
#[derive(Clone, Default)]
pub struct InProcessBus {
    registry: Arc<Registry>,
}

impl std::fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessBus")
    }
}

impl InProcessBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Connections currently registered (for metrics and tests).
    pub fn connections(&self) -> usize {
        let connections = self
            .registry
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        connections.values().map(Vec::len).sum()
    }

    /// The users with at least one connection here (a shared presence
    /// store is refreshed with them).
    pub fn users(&self) -> Vec<UserId> {
        let connections = self
            .registry
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        connections.keys().copied().collect()
    }

    /// Resolves once a user has come online here or gone offline since the
    /// last call (one waiter: the presence refresher).
    pub async fn presence_changed(&self) {
        self.registry.presence.notified().await;
    }
}

#[async_trait::async_trait]
impl RealtimeBus for InProcessBus {
    async fn publish(&self, delivery: Delivery) {
        let mut connections = self
            .registry
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for user in &delivery.to {
            let Some(list) = connections.get_mut(user) else {
                continue;
            };
            list.retain(
                |connection| match connection.frames.try_send(delivery.frame.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        // Dropping the sender ends the receiver's stream; the
                        // flag tells the socket why.
                        connection.lagged.store(true, Ordering::Release);
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                },
            );
        }
    }

    async fn online(&self, users: &[UserId]) -> HashSet<UserId> {
        let connections = self
            .registry
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        users
            .iter()
            .filter(|user| connections.contains_key(user))
            .copied()
            .collect()
    }

    fn connect(&self, user: UserId, capacity: usize) -> Subscription {
        let (sender, frames) = mpsc::channel(capacity.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        let id = self.registry.next_id.fetch_add(1, Ordering::Relaxed);
        let mut connections = self
            .registry
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let list = connections.entry(user).or_default();
        if list.is_empty() {
            self.registry.presence.notify_one();
        }
        list.push(Connection {
            id,
            frames: sender,
            lagged: lagged.clone(),
        });
        drop(connections);
        Subscription {
            frames,
            lagged,
            _registration: Registration {
                bus: self.registry.clone(),
                user,
                id,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Delivery {
        Delivery {
            to: Vec::new(),
            frame: Frame(text.into()),
        }
    }

    #[tokio::test]
    async fn frames_reach_only_the_addressed_users_connections() {
        let bus = InProcessBus::new();
        let (alice, bob) = (UserId::new(), UserId::new());
        let mut a1 = bus.connect(alice, 8);
        let mut a2 = bus.connect(alice, 8);
        let mut b = bus.connect(bob, 8);
        bus.publish(Delivery {
            to: vec![alice],
            ..frame("hello")
        })
        .await;
        assert_eq!(
            a1.recv().await.map(|f| f.0.to_string()).as_deref(),
            Some("hello")
        );
        assert_eq!(
            a2.recv().await.map(|f| f.0.to_string()).as_deref(),
            Some("hello")
        );
        assert!(b.frames.try_recv().is_err(), "bob was not addressed");
    }

    #[tokio::test]
    async fn a_connection_that_falls_behind_is_cut_off_and_told_why() {
        let bus = InProcessBus::new();
        let user = UserId::new();
        let mut slow = bus.connect(user, 2);
        for i in 0..3 {
            bus.publish(Delivery {
                to: vec![user],
                ..frame(&i.to_string())
            })
            .await;
        }
        assert_eq!(bus.connections(), 0, "the bus let go of it");
        assert!(slow.recv().await.is_some());
        assert!(slow.recv().await.is_some());
        assert!(slow.recv().await.is_none());
        assert!(slow.lagged());
    }

    #[tokio::test]
    async fn dropping_a_subscription_unregisters_it() {
        let bus = InProcessBus::new();
        let sub = bus.connect(UserId::new(), 4);
        assert_eq!(bus.connections(), 1);
        drop(sub);
        assert_eq!(bus.connections(), 0);
    }

    #[test]
    fn events_are_tagged_by_type() {
        let event = ServerEvent::Typing(TypingEvent {
            room_id: RoomId::new(),
            user_id: UserId::new(),
        });
        let value: serde_json::Value =
            serde_json::from_str(event.to_frame().as_str()).unwrap_or_default();
        assert_eq!(value["type"], "typing");
        assert!(value["room_id"].is_string());
    }
}
