//! `GET /api/v1/ws`: the realtime socket. The route upgrades; the socket's
//! life is `crate::realtime`.

use crate::{
    api::ApiTags,
    error::{Problems, status::*},
    realtime,
    state::AppState,
};
use poem::{
    IntoResponse, Request, Response,
    web::{Data, websocket::BoxWebSocketUpgraded},
};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::Header,
    registry::{MetaHeader, MetaResponse, MetaResponses, Registry},
    types::Type,
};

/// The realtime socket.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealtimeApi;

/// 101: the connection is now a WebSocket speaking `trellis.v1`.
pub struct Upgrade(BoxWebSocketUpgraded);

impl IntoResponse for Upgrade {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl ApiResponse for Upgrade {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Switching Protocols: the connection is a WebSocket of JSON text \
                     frames. The client sends `RealtimeClientFrame`s; the server sends \
                     `ServerEvent`s and `RealtimeReply`s (their schemas: `/realtime.json`).",
                status: Some(101),
                status_range: None,
                content: vec![],
                headers: vec![MetaHeader {
                    name: "Sec-WebSocket-Protocol".into(),
                    description: Some(format!(
                        "`{}` when the client offered it.",
                        realtime::protocol::SUBPROTOCOL
                    )),
                    required: false,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    // The frames' schemas are in `/realtime.json` (see
    // `realtime::protocol::schemas_document`).
    fn register(_registry: &mut Registry) {}
}

#[OpenApi(tag = "ApiTags::Messaging")]
impl RealtimeApi {
    /// The realtime socket: events of the caller's rooms; send messages,
    /// typing and read receipts.
    ///
    /// A WebSocket (RFC 6455) of JSON text frames, each an object with a
    /// `type` (their schemas: `/realtime.json`). Offer the subprotocol
    /// `trellis.v1` (echoed back).
    ///
    /// **Authentication**, one of: the subprotocol `bearer.<access token>`
    /// beside `trellis.v1` (`new WebSocket(url, ["trellis.v1",
    /// "bearer." + token])`), or a first frame `{"type": "auth", "token":
    /// "<access token>"}` within 5 s. The server answers `ready {user_id,
    /// expires_at}`; from then on the socket receives the events of every
    /// room the user is a member of, and of no other (a member removed from
    /// a room hears nothing more of it). At `expires_at` the socket closes
    /// with 4003 unless an `auth` frame with a fresh token of the same user
    /// came first (answered with `ready` again). An ended session (sign-out,
    /// revocation) closes it with 4003 at once.
    ///
    /// **Client frames** (`RealtimeClientFrame`): `auth {token}`; `message
    /// {room_id, text, client_id?, reply_to?}`, stored, broadcast to the
    /// room (the sender's sockets included), then answered `ack {client_id,
    /// id}`; a repeated `client_id` (up to 64 characters, remembered for 10
    /// minutes) is acked with the first message's id instead of being sent
    /// again; messages count against the quota of `POST
    /// /api/v1/rooms/{id}/messages`; `typing {room_id}`, to be refreshed
    /// within 5 s or it becomes `stop_typing`; `stop_typing {room_id}`;
    /// `read {room_id, up_to}` (the `read` event is the answer); `ping`,
    /// answered `pong`. At most 10 frames a second (bursts of 30), 64 KiB
    /// each.
    ///
    /// **Server frames**: the events (`ServerEvent`): `message {message}`,
    /// `message_edited {message}`, `message_deleted {room_id, message_id}`,
    /// `typing {room_id, user_id}`, `stop_typing {room_id, user_id}`, `read
    /// {room_id, user_id, up_to}`, `member_joined {room_id, user_id, role}`,
    /// `member_left {room_id, user_id}`, `room_created {room_id, kind,
    /// name?}`; and the replies (`RealtimeReply`): `ready`, `ack`, `pong`,
    /// `error {code, message, client_id?, retry_after?}` (a refused frame;
    /// the socket stays open; codes as in problem documents, plus
    /// `frame.invalid` and `frame.unsupported`).
    ///
    /// **Heartbeat**: the server pings every 25 s and drops a socket it has
    /// heard nothing from (frames or pongs) for 60 s. **Flow**: each socket
    /// has a queue of 256 frames; a client that falls that far behind is
    /// closed with 4008 rather than buffered.
    ///
    /// **Close codes**: 1000 normal; 1001 the server is shutting down
    /// (reconnect); 1011 server fault; 4000 silent for 60 s; 4001 not
    /// authenticated (reason: `auth.required`, `auth.timeout`,
    /// `auth.invalid_token`, `auth.token_expired`, `auth.session_ended`);
    /// 4003 the session ended or the token expired while connected (reason
    /// `auth.session_ended` or `auth.token_expired`: sign in or refresh,
    /// then reconnect); 4008 too slow (`realtime.too_slow`).
    #[oai(path = "/api/v1/ws", method = "get", operation_id = "connect_realtime")]
    async fn connect(
        &self,
        state: Data<&AppState>,
        request: &Request,
        socket: poem::web::websocket::WebSocket,
        /// `trellis.v1`, and optionally `bearer.<access token>`; comma
        /// separated.
        #[oai(name = "Sec-WebSocket-Protocol")]
        _protocols: Header<Option<String>>,
    ) -> Result<Upgrade, Problems<{ RATE_LIMITED | PARAMS }>> {
        Ok(Upgrade(realtime::accept(&state, socket, request)))
    }
}
