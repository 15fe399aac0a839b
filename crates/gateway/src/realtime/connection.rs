//! One socket, from upgrade to close.
//!
//! 1. **Authenticate**: the subprotocol token checked before the upgrade, or
//!    an `auth` frame within the authentication timeout (else 4001).
//! 2. **Register** on the bus with a bounded queue and send `ready`.
//! 3. Run a **reader** task beside the socket's own, the **writer**:
//!    - the reader takes the client's frames one at a time, each through
//!      the messaging services like the REST routes, and queues replies
//!      (a task of its own, so that the many wake-ups of a busy socket's
//!      writer never poll the reader);
//!    - the writer sends the bus's frames, the replies and a ping every
//!      ping interval, and ends the socket when the server stops (1001),
//!      the session ends or the token expires (4003), the bus cut the
//!      socket off for falling behind (4008), nothing was heard for the
//!      idle timeout (4000), or the reader saw the client close.
//! 4. **Close**: send the close frame and wait briefly for the client's.
//!
//! Nothing waits on a slow client but its own writer: the bus never blocks
//! (a full queue cuts the socket off), and a write the client does not take
//! is abandoned when the idle timeout passes.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_util::{
    SinkExt, StreamExt,
    stream::{SplitSink, SplitStream},
};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use tokio::{
    sync::{mpsc, watch},
    time::{Instant, sleep_until},
};
use tracing::Instrument;
use trellis_kernel::{
    DomainError,
    id::{SessionId, UserId},
};
use trellis_messaging::{
    ids::RoomId,
    model::{MarkRead, SendMessage},
    realtime::{Delivery, ServerEvent, TypingEvent},
};

use super::{
    Offered,
    protocol::{
        ClientFrame, Close, MAX_CLIENT_ID_CHARS, RealtimeAck, RealtimeAuth, RealtimeError,
        RealtimePong, RealtimeRead, RealtimeReady, RealtimeSend, Reply,
    },
};
use crate::{
    auth::verify_access_token_until, error::ApiError, middleware::rate_limit, state::AppState,
};

/// How long a closing socket waits for its close frame to go out and the
/// client's to come back.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Replies (acks, errors, pongs) waiting for the writer.
const REPLY_QUEUE: usize = 16;
/// Frames a client may send per second, sustained...
const FRAMES_PER_SECOND: f64 = 10.0;
/// ...and at once.
const FRAME_BURST: f64 = 30.0;

type Sink = SplitSink<WebSocketStream, Message>;
type Stream = SplitStream<WebSocketStream>;

/// How a socket ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The server closes it with this code.
    Close(Close),
    /// The client closed it: answer its close frame.
    ClientClosed,
    /// The connection broke: nothing more to send.
    Broken,
}

impl From<Close> for Ended {
    fn from(close: Close) -> Self {
        Self::Close(close)
    }
}

/// The authenticated user of a socket and the token that proves it.
#[derive(Debug, Clone, Copy)]
struct Session {
    user: UserId,
    session: SessionId,
    expires_at: DateTime<Utc>,
}

/// What the reader hands the writer.
#[derive(Debug)]
enum Outbound {
    /// A reply frame, encoded.
    Text(String),
    /// The client authenticated again with a fresh token.
    Renewed(Box<Session>),
    /// The reader is done: the client closed, or the connection broke.
    Ended(Ended),
}

/// Serves one upgraded socket to the end.
pub(super) async fn serve(state: AppState, socket: WebSocketStream, offered: Offered) {
    // Watch for ended sessions before anything is verified, so none slips
    // between the check and the watch.
    let mut revocations = state.revocations.watch();
    revocations.mark_unchanged();
    let (mut sink, mut stream) = socket.split();
    state.metrics.socket_opened();
    let ended = match authenticate(&state, &mut stream, offered).await {
        // The session ended since its token was checked.
        Ok(session) if state.revocations.is_revoked(session.session) => {
            let close = Close::unauthenticated("auth.session_ended");
            send_close(&mut sink, close, drain_until_close(&mut stream)).await;
            close.into()
        }
        // Boxed: what stays resident per socket is only what it needs now.
        Ok(session) => {
            tracing::Span::current().record("user_id", tracing::field::display(session.user));
            Box::pin(connected(&state, sink, stream, session, revocations)).await
        }
        Err(Ended::Close(close)) => {
            send_close(&mut sink, close, drain_until_close(&mut stream)).await;
            close.into()
        }
        Err(ended) => {
            answer_close(&mut sink, ended).await;
            ended
        }
    };
    let (code, reason) = match ended {
        Ended::Close(close) => (close.code, close.reason),
        Ended::ClientClosed => (Close::NORMAL.code, "client"),
        Ended::Broken => (1006, "broken"),
    };
    state.metrics.socket_closed(code);
    tracing::info!(code, reason, "socket closed");
}

/// The session of the subprotocol token, or of the first frame.
async fn authenticate(
    state: &AppState,
    stream: &mut Stream,
    offered: Offered,
) -> Result<Session, Ended> {
    let session = match offered {
        Some(verified) => verified.map(session_of),
        None => {
            let deadline = Instant::now() + state.sockets.config().auth_timeout;
            loop {
                let next = tokio::select! {
                    () = state.sockets.shutdown().cancelled() => return Err(Close::GOING_AWAY.into()),
                    () = sleep_until(deadline) => return Err(Close::AUTH_TIMEOUT.into()),
                    next = stream.next() => next,
                };
                match next {
                    Some(Ok(Message::Text(text))) => match parse(&text) {
                        Ok(ClientFrame::Auth(RealtimeAuth { token })) => {
                            break verify_access_token_until(state, &token).map(session_of);
                        }
                        _ => return Err(Close::unauthenticated("auth.required").into()),
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Binary(_))) => {
                        return Err(Close::unauthenticated("auth.required").into());
                    }
                    Some(Ok(Message::Close(_))) => return Err(Ended::ClientClosed),
                    Some(Err(_)) | None => return Err(Ended::Broken),
                }
            }
        }
    };
    session.map_err(|err| Close::unauthenticated(auth_reason(&err)).into())
}

fn session_of((principal, expires_at): (trellis_kernel::Principal, DateTime<Utc>)) -> Session {
    Session {
        user: principal.user_id,
        session: principal.session_id,
        expires_at,
    }
}

/// The close reason of a refused token (a `'static` code).
fn auth_reason(err: &ApiError) -> &'static str {
    match err.code() {
        "auth.token_expired" => "auth.token_expired",
        "auth.session_ended" => "auth.session_ended",
        _ => "auth.invalid_token",
    }
}

/// An authenticated socket: registered on the bus, `ready`, then the reader
/// task and the writer until either ends it, then the close.
async fn connected(
    state: &AppState,
    mut sink: Sink,
    stream: Stream,
    session: Session,
    revocations: watch::Receiver<u64>,
) -> Ended {
    let config = *state.sockets.config();
    // Registered before `ready`: whatever happens after `ready` is heard.
    let subscription = state.realtime.connect(session.user, config.send_queue);
    let heard = Arc::new(Heard::new(config.idle_timeout));
    if let Err(ended) = send(&mut sink, text(&ready(&session)), &heard).await {
        return ended;
    }
    let (replies, replies_rx) = mpsc::channel(REPLY_QUEUE);
    let mut reader = tokio::spawn(
        Reader {
            state: state.clone(),
            user: session.user,
            heard: heard.clone(),
            replies,
            // `TRELLIS_RATE_LIMITS=off` (load tests) lifts this limit too.
            budget: state.config.http.rate_limits.then(FrameBudget::new),
        }
        .run(stream)
        .instrument(tracing::Span::current()),
    );
    let writer = Writer {
        state,
        session,
        heard: &heard,
        replies: replies_rx,
        subscription,
        revocations,
    };
    // The writer's end drops the reply queue: a reader still replying
    // fails at once instead of waiting on it.
    let ended = writer.run(&mut sink).await;
    match ended {
        // A silent peer is gone; do not wait on it again.
        Ended::Close(Close::IDLE) => reader.abort(),
        Ended::Close(close) => {
            // The reader sees the client's close frame and ends.
            let reader_done = async {
                let _ = (&mut reader).await;
            };
            send_close(&mut sink, close, reader_done).await;
            reader.abort();
        }
        Ended::ClientClosed | Ended::Broken => answer_close(&mut sink, ended).await,
    }
    ended
}

fn ready(session: &Session) -> Reply {
    Reply::Ready(RealtimeReady {
        user_id: session.user,
        expires_at: session.expires_at.into(),
    })
}

fn text(reply: &Reply) -> Message {
    Message::Text(reply.to_json_string())
}

/// Sends the close frame, then waits briefly for `client_closed` (the
/// client's close frame, which completes the handshake).
async fn send_close(sink: &mut Sink, close: Close, client_closed: impl Future<Output = ()>) {
    let frame = Message::Close(Some((CloseCode::from(close.code), close.reason.into())));
    if tokio::time::timeout(CLOSE_GRACE, sink.send(frame))
        .await
        .is_ok_and(|sent| sent.is_ok())
    {
        let _ = tokio::time::timeout(CLOSE_GRACE, client_closed).await;
    }
}

/// Reads until the client's close frame (or the end of the stream).
async fn drain_until_close(stream: &mut Stream) {
    while let Some(Ok(message)) = stream.next().await {
        if matches!(message, Message::Close(_)) {
            break;
        }
    }
}

/// The client closed: tungstenite queued the answer; flush it.
async fn answer_close(sink: &mut Sink, ended: Ended) {
    if ended == Ended::ClientClosed {
        let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
    }
}

/// When the client was last heard from (any frame, pongs included).
struct Heard {
    epoch: Instant,
    /// Milliseconds after `epoch`.
    last: AtomicU64,
    idle: Duration,
}

impl Heard {
    fn new(idle: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
            idle,
        }
    }

    fn now(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// When the client counts as gone unless heard from before.
    fn deadline(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last.load(Ordering::Relaxed)) + self.idle
    }

    /// Resolves once the client has been silent for the idle timeout.
    async fn silent(&self) {
        loop {
            let deadline = self.deadline();
            if Instant::now() >= deadline {
                return;
            }
            sleep_until(deadline).await;
        }
    }
}

/// Sends one frame, unless the client stays silent for the idle timeout
/// meanwhile (a client that takes nothing is as good as gone).
async fn send(sink: &mut Sink, message: Message, heard: &Heard) -> Result<(), Ended> {
    tokio::select! {
        biased;
        sent = sink.send(message) => sent.map_err(|_| Ended::Broken),
        () = heard.silent() => Err(Close::IDLE.into()),
    }
}

/// A token bucket of client frames: a misbehaving client cannot turn one
/// socket into a stream of database work.
struct FrameBudget {
    tokens: f64,
    at: Instant,
}

impl FrameBudget {
    fn new() -> Self {
        Self {
            tokens: FRAME_BURST,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * FRAMES_PER_SECOND;
        self.tokens = (self.tokens + refill).min(FRAME_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A client frame, parsed.
fn parse(text: &str) -> Result<ClientFrame, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    ClientFrame::parse_from_json(Some(value)).map_err(|e| e.into_message())
}

/// The client's half: its frames, one at a time.
struct Reader {
    state: AppState,
    user: UserId,
    heard: Arc<Heard>,
    replies: mpsc::Sender<Outbound>,
    budget: Option<FrameBudget>,
}

impl Reader {
    /// Reads until the client closes or the connection breaks, and tells
    /// the writer.
    async fn run(mut self, mut stream: Stream) {
        let ended = self.frames(&mut stream).await;
        let _ = self.replies.try_send(Outbound::Ended(ended));
    }

    async fn frames(&mut self, stream: &mut Stream) -> Ended {
        while let Some(next) = stream.next().await {
            self.heard.now();
            let text = match next {
                Ok(Message::Text(text)) => text,
                Ok(Message::Binary(_)) => {
                    self.reply(Reply::error(
                        "frame.unsupported",
                        "frames are JSON text; binary frames are not understood",
                    ))
                    .await;
                    continue;
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Close(_)) => return Ended::ClientClosed,
                Err(_) => return Ended::Broken,
            };
            if self.budget.as_mut().is_some_and(|budget| !budget.take()) {
                self.reply(rate_limited(
                    format!("at most {FRAMES_PER_SECOND} frames a second"),
                    Duration::from_secs(1),
                    None,
                ))
                .await;
                continue;
            }
            match parse(&text) {
                // Boxed: the database work of a frame is not part of the
                // future an idle socket keeps.
                Ok(frame) => Box::pin(self.handle(frame)).await,
                Err(message) => self.reply(Reply::error("frame.invalid", message)).await,
            }
        }
        Ended::Broken
    }

    async fn reply(&self, reply: Reply) {
        // A closed queue means the writer has ended the socket.
        let _ = self
            .replies
            .send(Outbound::Text(reply.to_json_string()))
            .await;
    }

    async fn handle(&self, frame: ClientFrame) {
        match frame {
            ClientFrame::Auth(auth) => self.renew(&auth.token).await,
            ClientFrame::Message(send) => {
                let reply = self.send_message(send).await;
                self.reply(reply).await;
            }
            ClientFrame::Typing(room) => self.typing(room.room_id, true).await,
            ClientFrame::StopTyping(room) => self.typing(room.room_id, false).await,
            ClientFrame::Read(read) => self.read(read).await,
            ClientFrame::Ping(_) => self.reply(Reply::Pong(RealtimePong {})).await,
        }
    }

    /// A fresh token of the same user extends the socket past the first
    /// token's expiry.
    async fn renew(&self, token: &str) {
        match verify_access_token_until(&self.state, token).map(session_of) {
            Ok(session) if session.user == self.user => {
                let _ = self
                    .replies
                    .send(Outbound::Renewed(Box::new(session)))
                    .await;
                self.reply(ready(&session)).await;
            }
            Ok(_) => {
                self.reply(Reply::error(
                    "auth.user_mismatch",
                    "the token is another user's; open another socket for them",
                ))
                .await;
            }
            Err(err) => {
                self.reply(Reply::error(auth_reason(&err), err.to_string()))
                    .await
            }
        }
    }

    /// Stores and broadcasts a message (as `POST /rooms/{id}/messages`
    /// does), answering `ack` or `error`.
    async fn send_message(&self, frame: RealtimeSend) -> Reply {
        let RealtimeSend {
            room_id,
            text,
            client_id,
            reply_to,
        } = frame;
        if let Some(id) = &client_id {
            let chars = id.chars().count();
            if chars == 0 || chars > MAX_CLIENT_ID_CHARS {
                return with_client_id(
                    Reply::error(
                        "request.validation_failed",
                        format!("client_id: must be 1 to {MAX_CLIENT_ID_CHARS} characters"),
                    ),
                    client_id,
                );
            }
            if let Some(id) = self.state.sockets.sent(self.user, id) {
                // A retry of a message that was sent: the first one stands.
                return Reply::Ack(RealtimeAck { client_id, id });
            }
        }
        let decision = rate_limit::count_socket_message(&self.state, self.user).await;
        if !decision.allowed {
            return rate_limited(
                format!(
                    "too many messages: at most {} per {} s",
                    decision.quota.limit, decision.quota.window_secs
                ),
                decision.retry_after,
                client_id,
            );
        }
        // Its own task: once started, a send finishes (stored, broadcast and
        // remembered) even if the socket goes away meanwhile, so a retry on
        // the next socket finds it.
        let state = self.state.clone();
        let user = self.user;
        let remembered = client_id.clone();
        let sent = tokio::spawn(async move {
            let sent = state
                .messaging
                .messages
                .send(
                    &state.db,
                    user,
                    room_id,
                    SendMessage {
                        text,
                        reply_to,
                        attachments: None,
                    },
                )
                .await;
            if let (Ok(message), Some(client_id)) = (&sent, remembered) {
                state.sockets.remember(user, client_id, message.id);
            }
            sent
        })
        .await;
        match sent {
            Ok(Ok(message)) => Reply::Ack(RealtimeAck {
                client_id,
                id: message.id,
            }),
            Ok(Err(err)) => with_client_id(domain_error(&err), client_id),
            Err(join) => with_client_id(internal(&join), client_id),
        }
    }

    /// Tells the room's other members that the user is typing (or stopped);
    /// a `typing` not refreshed within the typing lifetime stops by itself.
    async fn typing(&self, room: RoomId, typing: bool) {
        let state = &self.state;
        let audience = match state
            .messaging
            .rooms
            .audience(&state.db, self.user, room)
            .await
        {
            Ok(audience) => audience,
            Err(err) => return self.reply(domain_error(&err)).await,
        };
        let tracker = state.sockets.typing();
        if typing {
            if let Some(series) = tracker.touch(room, self.user) {
                tokio::spawn(lapse(state.clone(), room, self.user, series));
            }
        } else {
            tracker.stop(room, self.user);
        }
        publish_typing(state, room, self.user, audience, typing).await;
    }

    /// A read receipt (as `POST /rooms/{id}/read`); the `read` event that
    /// follows is the answer.
    async fn read(&self, frame: RealtimeRead) {
        let state = self.state.clone();
        let user = self.user;
        let read = tokio::spawn(async move {
            state
                .messaging
                .messages
                .mark_read(
                    &state.db,
                    user,
                    frame.room_id,
                    MarkRead { up_to: frame.up_to },
                )
                .await
        })
        .await;
        match read {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => self.reply(domain_error(&err)).await,
            Err(join) => self.reply(internal(&join)).await,
        }
    }
}

/// Waits for a typing indicator to lapse, then tells the room's members as
/// they are then (someone who left meanwhile hears nothing).
async fn lapse(state: AppState, room: RoomId, user: UserId, series: u64) {
    if !state.sockets.typing().lapsed(room, user, series).await {
        return;
    }
    if let Ok(audience) = state.messaging.rooms.audience(&state.db, user, room).await {
        publish_typing(&state, room, user, audience, false).await;
    }
}

async fn publish_typing(
    state: &AppState,
    room: RoomId,
    user: UserId,
    audience: Vec<UserId>,
    typing: bool,
) {
    let to: Vec<UserId> = audience.into_iter().filter(|u| *u != user).collect();
    if to.is_empty() {
        return;
    }
    let event = TypingEvent {
        room_id: room,
        user_id: user,
    };
    let event = if typing {
        ServerEvent::Typing(event)
    } else {
        ServerEvent::StopTyping(event)
    };
    state
        .realtime
        .publish(Delivery {
            to,
            frame: event.to_frame(),
        })
        .await;
}

fn with_client_id(mut reply: Reply, client_id: Option<String>) -> Reply {
    if let Reply::Error(error) = &mut reply {
        error.client_id = client_id;
    }
    reply
}

fn rate_limited(message: String, retry: Duration, client_id: Option<String>) -> Reply {
    let secs = retry.as_secs() + u64::from(retry.subsec_nanos() > 0);
    Reply::Error(RealtimeError {
        code: "rate_limit.exceeded".into(),
        message,
        client_id,
        retry_after: Some(secs.max(1)),
    })
}

/// A refused frame, worded as the REST answer would be; a server fault is
/// logged under an id and only the id is sent.
fn domain_error(err: &(impl DomainError + std::fmt::Debug)) -> Reply {
    if err.kind().is_server_fault() {
        return internal(err);
    }
    let fields = err.field_errors();
    let message = if fields.is_empty() {
        err.to_string()
    } else {
        fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Reply::error(err.code(), message)
}

fn internal(cause: &(impl std::fmt::Debug + ?Sized)) -> Reply {
    let error_id = uuid::Uuid::now_v7().to_string();
    tracing::error!(error_id = %error_id, cause = ?cause, "realtime frame failed");
    Reply::error(
        "internal",
        format!("something went wrong on our side; quote error_id {error_id} when reporting it"),
    )
}

/// The server's half: the bus's frames, replies and pings.
struct Writer<'a> {
    state: &'a AppState,
    session: Session,
    heard: &'a Heard,
    replies: mpsc::Receiver<Outbound>,
    subscription: trellis_messaging::realtime::Subscription,
    revocations: watch::Receiver<u64>,
}

impl Writer<'_> {
    async fn run(self, sink: &mut Sink) -> Ended {
        let Writer {
            state,
            session,
            heard,
            mut replies,
            mut subscription,
            mut revocations,
        } = self;
        let config = state.sockets.config();
        let mut ping =
            tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let expiry = sleep_until(instant_of(state, session.expires_at));
        tokio::pin!(expiry);
        let silent = sleep_until(heard.deadline());
        tokio::pin!(silent);
        // Made once, not per frame: both wait on something every socket
        // shares, and registering with it is a lock.
        let shutdown = state.sockets.shutdown().cancelled();
        tokio::pin!(shutdown);
        let current = Mutex::new(session.session);
        let session_ended = async {
            loop {
                if revocations.changed().await.is_err() {
                    return Close::INTERNAL;
                }
                let session = *current.lock().unwrap_or_else(PoisonError::into_inner);
                if state.revocations.is_revoked(session) {
                    return Close::SESSION_ENDED;
                }
            }
        };
        tokio::pin!(session_ended);
        loop {
            let message = tokio::select! {
                biased;
                () = &mut shutdown => return Close::GOING_AWAY.into(),
                close = &mut session_ended => return close.into(),
                () = &mut expiry => return Close::TOKEN_EXPIRED.into(),
                () = &mut silent => {
                    let deadline = heard.deadline();
                    if Instant::now() >= deadline {
                        return Close::IDLE.into();
                    }
                    silent.as_mut().reset(deadline);
                    continue;
                }
                outbound = replies.recv() => match outbound {
                    Some(Outbound::Text(text)) => Message::Text(text),
                    Some(Outbound::Renewed(session)) => {
                        *current.lock().unwrap_or_else(PoisonError::into_inner) = session.session;
                        expiry.as_mut().reset(instant_of(state, session.expires_at));
                        continue;
                    }
                    Some(Outbound::Ended(ended)) => return ended,
                    None => return Ended::Broken,
                },
                frame = subscription.recv() => match frame {
                    Some(frame) => Message::Text(frame.as_str().to_owned()),
                    None if subscription.lagged() => return Close::TOO_SLOW.into(),
                    None => return Close::INTERNAL.into(),
                },
                _ = ping.tick() => Message::Ping(Vec::new()),
            };
            if let Err(ended) = send(sink, message, heard).await {
                return ended;
            }
        }
    }
}

/// The monotonic instant of a time by the application's clock (the one
/// tokens are judged by); now if it has passed.
fn instant_of(state: &AppState, at: DateTime<Utc>) -> Instant {
    let left = (at - state.clock.now()).to_std().unwrap_or(Duration::ZERO);
    Instant::now() + left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_by_type() {
        let room = RoomId::new();
        let frame = parse(&format!(
            r#"{{"type":"message","room_id":"{room}","text":"hi","client_id":"c1"}}"#
        ));
        assert!(
            matches!(&frame, Ok(ClientFrame::Message(m)) if m.room_id == room && m.client_id.as_deref() == Some("c1")),
            "{frame:?}"
        );
        assert!(matches!(
            parse(r#"{"type":"ping"}"#),
            Ok(ClientFrame::Ping(_))
        ));
        assert!(parse(r#"{"type":"shout"}"#).is_err());
        assert!(
            parse(r#"{"type":"typing"}"#).is_err(),
            "room_id is required"
        );
        assert!(parse("not json").is_err());
    }

    #[test]
    fn replies_are_tagged_by_type() {
        let pong: serde_json::Value =
            serde_json::from_str(&Reply::Pong(RealtimePong {}).to_json_string())
                .unwrap_or_default();
        assert_eq!(pong, serde_json::json!({"type": "pong"}));
        let error = with_client_id(Reply::error("room.not_found", "no"), Some("c".into()));
        let error: serde_json::Value =
            serde_json::from_str(&error.to_json_string()).unwrap_or_default();
        assert_eq!(
            error,
            serde_json::json!({"type": "error", "code": "room.not_found", "message": "no", "client_id": "c"})
        );
    }

    #[test]
    fn the_frame_budget_refills_over_time() {
        let mut budget = FrameBudget::new();
        let taken = (0..100).filter(|_| budget.take()).count();
        assert_eq!(taken, FRAME_BURST as usize);
        budget.at -= Duration::from_secs(1);
        assert!(budget.take());
    }
}
