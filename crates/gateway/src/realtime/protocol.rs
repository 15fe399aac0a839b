//! The frames of the realtime socket and its close codes.
//!
//! Every frame is a JSON text frame with a `type`. What the server sends is
//! a [`ServerEvent`](trellis_messaging::realtime::ServerEvent) (something
//! happened in one of the client's rooms) or a [`Reply`] (an answer to the
//! client); what the client sends is a [`ClientFrame`]. The operation's
//! description (`api/messaging/ws.rs`) tells the protocol in prose;
//! [`schemas_document`] gives the three unions to client generators.

use std::collections::BTreeMap;

use poem_openapi::{
    Object, Union,
    registry::{MetaSchema, MetaSchemaRef, Registry},
    types::Type,
};
use serde::Serialize;
use trellis_kernel::{Timestamp, id::UserId};
use trellis_messaging::{
    ids::{MessageId, RoomId},
    realtime::ServerEvent,
};

/// The subprotocol every client offers and the server echoes.
pub const SUBPROTOCOL: &str = "trellis.v1";

/// The prefix of the subprotocol that carries an access token
/// (`bearer.<token>`), for clients that cannot send headers (browsers).
pub const BEARER_PREFIX: &str = "bearer.";

/// The longest `client_id`, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// A frame the client sends, tagged by `type`.
#[derive(Debug, Clone, Union)]
#[oai(rename = "RealtimeClientFrame", discriminator_name = "type", one_of)]
pub enum ClientFrame {
    /// Authenticate (the first frame, unless the token came as a
    /// subprotocol), or extend the socket with a fresh token of the same
    /// user before the current one expires.
    #[oai(mapping = "auth")]
    Auth(RealtimeAuth),
    /// Send a message: stored first, then broadcast, then acknowledged.
    #[oai(mapping = "message")]
    Message(RealtimeSend),
    /// The client's user is typing in a room (refresh within the typing
    /// lifetime, 5 s by default, or it becomes `stop_typing`).
    #[oai(mapping = "typing")]
    Typing(RealtimeRoom),
    /// The client's user stopped typing.
    #[oai(mapping = "stop_typing")]
    StopTyping(RealtimeRoom),
    /// A read receipt, as `POST /api/v1/rooms/{id}/read`.
    #[oai(mapping = "read")]
    Read(RealtimeRead),
    /// Asks for a `pong`.
    #[oai(mapping = "ping")]
    Ping(RealtimePing),
}

/// `auth`.
#[derive(Debug, Clone, Object)]
pub struct RealtimeAuth {
    /// An access token.
    pub token: String,
}

/// `message`.
#[derive(Debug, Clone, Object)]
pub struct RealtimeSend {
    /// The room.
    pub room_id: RoomId,
    /// 1 to 4000 characters after trimming.
    pub text: String,
    /// The client's own id for the message, 1 to 64 characters: echoed in
    /// the `ack` (or `error`), and a repeat of it (a retry after a lost
    /// ack, on this socket or the next one) is acknowledged with the first
    /// message's id instead of sending it again.
    pub client_id: Option<String>,
    /// The message this one answers (in the same room).
    pub reply_to: Option<MessageId>,
}

/// `typing` and `stop_typing`.
#[derive(Debug, Clone, Object)]
pub struct RealtimeRoom {
    /// The room.
    pub room_id: RoomId,
}

/// `read`.
#[derive(Debug, Clone, Object)]
pub struct RealtimeRead {
    /// The room.
    pub room_id: RoomId,
    /// The newest message read; the marker never moves back.
    pub up_to: MessageId,
}

/// `ping` (no fields).
#[derive(Debug, Clone, Object)]
pub struct RealtimePing {}

/// A frame the server sends in answer to the client, tagged by `type`.
#[derive(Debug, Clone, Union)]
#[oai(rename = "RealtimeReply", discriminator_name = "type", one_of)]
pub enum Reply {
    /// Authenticated: events of the user's rooms follow.
    #[oai(mapping = "ready")]
    Ready(RealtimeReady),
    /// A `message` was stored (and broadcast).
    #[oai(mapping = "ack")]
    Ack(RealtimeAck),
    /// The answer to `ping`.
    #[oai(mapping = "pong")]
    Pong(RealtimePong),
    /// A frame was refused; the socket stays open.
    #[oai(mapping = "error")]
    Error(RealtimeError),
}

/// `ready`.
#[derive(Debug, Clone, Object)]
pub struct RealtimeReady {
    /// The authenticated user.
    pub user_id: UserId,
    /// When the token expires and the socket closes with 4003, unless an
    /// `auth` frame with a fresh token comes first.
    pub expires_at: Timestamp,
}

/// `ack`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RealtimeAck {
    /// The `client_id` of the `message` frame.
    pub client_id: Option<String>,
    /// The stored message's id.
    pub id: MessageId,
}

/// `pong` (no fields).
#[derive(Debug, Clone, Object)]
pub struct RealtimePong {}

/// `error`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RealtimeError {
    /// The stable code, as in problem documents (`room.not_found`,
    /// `rate_limit.exceeded`, `frame.invalid`...).
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The `client_id` of the refused `message` frame.
    pub client_id: Option<String>,
    /// Seconds to wait before sending again (`rate_limit.exceeded`).
    pub retry_after: Option<u64>,
}

impl Reply {
    /// An `error` reply.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Error(RealtimeError {
            code: code.into(),
            message: message.into(),
            client_id: None,
            retry_after: None,
        })
    }
}

/// Why the server closes a socket: the close code and its reason text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    /// The close code.
    pub code: u16,
    /// A stable code naming the cause (sent as the close reason).
    pub reason: &'static str,
}

impl Close {
    /// 1000: the client closed; the server answered.
    pub const NORMAL: Self = Self {
        code: 1000,
        reason: "",
    };
    /// 1001: the server is shutting down; reconnect (to another instance).
    pub const GOING_AWAY: Self = Self {
        code: 1001,
        reason: "server.shutting_down",
    };
    /// 1011: the server failed.
    pub const INTERNAL: Self = Self {
        code: 1011,
        reason: "internal",
    };
    /// 4000: nothing heard from the client (frames or pongs) for the idle
    /// timeout. Rarely seen: the peer is usually gone.
    pub const IDLE: Self = Self {
        code: 4000,
        reason: "realtime.idle",
    };
    /// 4003: the session ended (sign-out, revocation, password change) or the
    /// token expired while connected.
    pub const SESSION_ENDED: Self = Self {
        code: 4003,
        reason: "auth.session_ended",
    };
    /// 4003: the token expired while connected (no fresh `auth` came).
    pub const TOKEN_EXPIRED: Self = Self {
        code: 4003,
        reason: "auth.token_expired",
    };
    /// 4001: no `auth` frame within the authentication timeout.
    pub const AUTH_TIMEOUT: Self = Self {
        code: 4001,
        reason: "auth.timeout",
    };
    /// 4008: the client did not keep up; its send queue overflowed.
    pub const TOO_SLOW: Self = Self {
        code: 4008,
        reason: "realtime.too_slow",
    };

    /// 4001: authentication failed; `reason` is the problem code
    /// (`auth.required`, `auth.invalid_token`, `auth.token_expired`,
    /// `auth.session_ended`).
    pub fn unauthenticated(reason: &'static str) -> Self {
        Self { code: 4001, reason }
    }
}

/// The frame types as an OpenAPI 3.0 document of schemas alone, served as
/// `/realtime.json` and committed as `openapi/realtime.json`.
///
/// They cannot live in `openapi.json`: no HTTP body references them, and
/// poem-openapi drops every schema no operation references.
pub fn schemas_document() -> String {
    #[derive(Serialize)]
    struct Info {
        title: &'static str,
        version: &'static str,
        description: &'static str,
    }
    #[derive(Serialize)]
    struct Components {
        schemas: BTreeMap<String, MetaSchema>,
    }
    #[derive(Serialize)]
    struct Document {
        openapi: &'static str,
        info: Info,
        paths: BTreeMap<String, ()>,
        components: Components,
    }
    let mut registry = Registry::new();
    ClientFrame::register(&mut registry);
    Reply::register(&mut registry);
    ServerEvent::register(&mut registry);
    widen_shared_tags(&mut registry.schemas);
    let document = Document {
        openapi: "3.0.0",
        info: Info {
            title: "Trellis realtime frames",
            version: env!("CARGO_PKG_VERSION"),
            description: "The JSON text frames of the realtime socket, `GET /api/v1/ws` (see its \
                 description in `/openapi.json`): the client sends `RealtimeClientFrame`s; the \
                 server sends `ServerEvent`s and `RealtimeReply`s.",
        },
        paths: BTreeMap::new(),
        components: Components {
            schemas: registry.schemas,
        },
    };
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// poem-openapi gives a payload type that several tags of a union share
/// (`typing` and `stop_typing` both carry a `TypingEvent`) one tagged
/// schema whose tag admits only the last of them; widen it to all.
fn widen_shared_tags(schemas: &mut BTreeMap<String, MetaSchema>) {
    let mut tags: BTreeMap<String, (&'static str, Vec<serde_json::Value>)> = BTreeMap::new();
    for union in schemas.values() {
        let Some(discriminator) = &union.discriminator else {
            continue;
        };
        for (tag, target) in &discriminator.mapping {
            if let Some(name) = target.strip_prefix("#/components/schemas/") {
                tags.entry(name.to_owned())
                    .or_insert_with(|| (discriminator.property_name, Vec::new()))
                    .1
                    .push(tag.as_str().into());
            }
        }
    }
    for (name, (property, tags)) in tags {
        let Some(tagged) = schemas.get_mut(&name) else {
            continue;
        };
        for part in &mut tagged.all_of {
            let MetaSchemaRef::Inline(part) = part else {
                continue;
            };
            for (name, schema) in &mut part.properties {
                if *name == property
                    && let MetaSchemaRef::Inline(schema) = schema
                {
                    schema.example = tags.first().cloned();
                    schema.enum_items = tags.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frames_document_admits_every_tag() {
        let document: serde_json::Value =
            serde_json::from_str(&schemas_document()).unwrap_or_default();
        let schemas = &document["components"]["schemas"];
        for union in ["RealtimeClientFrame", "RealtimeReply", "ServerEvent"] {
            assert!(schemas[union]["oneOf"].is_array(), "{union}");
        }
        let tag = |schema: &str| schemas[schema]["allOf"][0]["properties"]["type"]["enum"].clone();
        assert_eq!(
            tag("ServerEvent_TypingEvent"),
            serde_json::json!(["typing", "stop_typing"])
        );
        assert_eq!(
            tag("RealtimeClientFrame_RealtimeRoom"),
            serde_json::json!(["typing", "stop_typing"])
        );
        assert_eq!(tag("RealtimeReply_RealtimeAck"), serde_json::json!(["ack"]));
    }
}
