//! The realtime socket, `GET /api/v1/ws`: a WebSocket over which a signed-in
//! client hears what happens in its rooms and sends messages, typing
//! indicators and read receipts.
//!
//! The route (`api/messaging/ws.rs`) only upgrades; [`accept`] starts a
//! connection, whose life is in `connection.rs`: authenticate (a `bearer.`
//! subprotocol, or an `auth` frame within a few seconds), register on the
//! [`RealtimeBus`](trellis_messaging::realtime::RealtimeBus) with a bounded
//! queue, then a reader (the client's frames, each through the messaging
//! services like the REST routes) and a writer (the bus's frames, replies
//! and pings) until one of them ends it with a close code
//! ([`protocol::Close`]). The frames are in [`protocol`]; the README's
//! "Realtime protocol" section tells it for client authors.
//!
//! What every socket of the process shares lives in [`Sockets`]: the
//! settings, the shutdown signal (every socket closes with 1001 when the
//! server stops), typing indicators, and the ids of recently sent messages
//! by `client_id`.

mod connection;
pub mod protocol;
pub mod redis_bus;
mod typing;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use poem::{
    Request,
    http::{HeaderMap, header},
    web::websocket::{BoxWebSocketUpgraded, WebSocket, WebSocketConfig},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::Instrument;
use trellis_kernel::{Principal, id::UserId};
use trellis_messaging::ids::MessageId;

pub use typing::TypingTracker;

use crate::{
    auth::verify_access_token_until, config::RealtimeConfig, middleware::request_id::RequestId,
    state::AppState,
};

/// How long a `client_id` is remembered after its message was sent.
const CLIENT_ID_MEMORY: Duration = Duration::from_secs(10 * 60);
/// At most this many remembered `client_id`s in the process.
const CLIENT_ID_CAPACITY: u64 = 100_000;

/// The largest frame a client may send (a 4,000-character message in any
/// script fits, with room to spare).
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;

/// What every socket of this process shares; cheap to clone.
#[derive(Clone)]
pub struct Sockets {
    inner: Arc<Inner>,
}

struct Inner {
    config: RealtimeConfig,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    typing: TypingTracker,
    sent: moka::sync::Cache<(UserId, String), MessageId>,
}

impl std::fmt::Debug for Sockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sockets")
            .field("config", &self.inner.config)
            .field("open", &self.open())
            .finish_non_exhaustive()
    }
}

impl Sockets {
    /// Sockets with these settings.
    pub fn new(config: RealtimeConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
                typing: TypingTracker::new(config.typing_ttl),
                sent: moka::sync::Cache::builder()
                    .max_capacity(CLIENT_ID_CAPACITY)
                    .time_to_live(CLIENT_ID_MEMORY)
                    .build(),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &RealtimeConfig {
        &self.inner.config
    }

    /// Typing indicators.
    pub fn typing(&self) -> &TypingTracker {
        &self.inner.typing
    }

    /// Sockets open now.
    pub fn open(&self) -> usize {
        self.inner.tasks.len()
    }

    /// Closes every socket with 1001, and any that opens from now on.
    pub fn shut_down(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
    }

    /// Waits up to `timeout` for every socket to have closed (after
    /// [`Sockets::shut_down`]); false if some were still open.
    pub async fn closed(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.inner.tasks.wait())
            .await
            .is_ok()
    }

    fn shutdown(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// The message `user` sent with `client_id` lately, if any.
    fn sent(&self, user: UserId, client_id: &str) -> Option<MessageId> {
        self.inner.sent.get(&(user, client_id.to_owned()))
    }

    /// Remembers that `user` sent `id` with `client_id`.
    fn remember(&self, user: UserId, client_id: String, id: MessageId) {
        self.inner.sent.insert((user, client_id), id);
    }
}

/// The access token of a `bearer.<token>` subprotocol, if the client
/// offered one.
pub fn protocol_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|protocol| protocol.trim().strip_prefix(protocol::BEARER_PREFIX))
}

/// Who a subprotocol token proves (checked before the upgrade; the socket
/// closes with 4001 if it does not).
pub(crate) type Offered = Option<Result<(Principal, DateTime<Utc>), crate::error::ApiError>>;

/// Accepts the upgrade: echoes `trellis.v1`, bounds what the client may
/// send, and serves the socket once upgraded (its log lines carry the
/// upgrade's request id, and the user once known).
pub fn accept(state: &AppState, ws: WebSocket, request: &Request) -> BoxWebSocketUpgraded {
    let offered: Offered =
        protocol_token(request.headers()).map(|token| verify_access_token_until(state, token));
    let span = tracing::info_span!(
        "realtime",
        request_id = request
            .data::<RequestId>()
            .map(|id| id.0.as_str())
            .unwrap_or_default(),
        user_id = tracing::field::Empty,
    );
    let config = WebSocketConfig::default()
        // Read in small steps: tungstenite zero-fills its read buffer, and an
        // idle socket should not hold 128 KiB of it (client frames are small;
        // a long message takes a few more reads).
        .read_buffer_size(1024)
        // Write each frame at once; never hold more than a few frames.
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(Some(MAX_CLIENT_FRAME))
        .max_frame_size(Some(MAX_CLIENT_FRAME));
    let state = state.clone();
    ws.protocols([protocol::SUBPROTOCOL])
        .config(config)
        .on_upgrade(move |socket| {
            let tasks = state.sockets.inner.tasks.clone();
            tasks.track_future(connection::serve(state, socket, offered).instrument(span))
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    #[test]
    fn the_token_rides_in_a_bearer_subprotocol() {
        let mut headers = HeaderMap::new();
        assert_eq!(protocol_token(&headers), None);
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("trellis.v1, bearer.abc.def-ghi_j"),
        );
        assert_eq!(protocol_token(&headers), Some("abc.def-ghi_j"));
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("trellis.v1"),
        );
        assert_eq!(protocol_token(&headers), None);
    }
}
