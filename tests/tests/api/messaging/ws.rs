//! The realtime socket, `GET /api/v1/ws`, through real WebSocket clients:
//! messages and typing between two people, REST to socket, authentication
//! and its end, membership (strangers and removed members hear nothing),
//! heartbeats, slow consumers and shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::{
    WebSocketStream, client_async,
    tungstenite::{
        Message,
        client::IntoClientRequest,
        http::{HeaderValue, header::SEC_WEBSOCKET_PROTOCOL},
    },
};
use trellis_kernel::{Role, auth::Claims};
use trellis_tests::{PASSWORD, TestApp, TestRedis, contract, eventually, send, unique_email};

/// How long any one expected frame may take.
const WAIT: Duration = Duration::from_secs(5);

/// A signed-up user.
struct User {
    id: String,
    token: String,
    email: String,
}

async fn user(app: &TestApp, name: &str) -> User {
    let email = unique_email(name);
    let body = app.register(&email, PASSWORD).await;
    User {
        id: body["user"]["id"].as_str().unwrap().to_string(),
        token: body["access_token"].as_str().unwrap().to_string(),
        email,
    }
}

/// A group room of `admin` with `members`; its id.
async fn group(app: &TestApp, admin: &User, members: &[&User]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let reply = send(
        app.authed(Method::POST, "/api/v1/rooms", &admin.token)
            .json(&json!({"name": "Team", "members": ids})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_string()
}

/// Sends a message over REST; its id.
async fn post_message(app: &TestApp, from: &User, room: &str, text: &str) -> String {
    let reply = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/rooms/{room}/messages"),
            &from.token,
        )
        .json(&json!({ "text": text })),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_string()
}

/// One client socket.
struct Socket {
    ws: WebSocketStream<TcpStream>,
}

/// How a socket is opened.
#[derive(Default)]
struct Open<'a> {
    /// `Sec-WebSocket-Protocol`, as sent.
    protocols: Option<&'a str>,
    /// The client's TCP receive buffer (a small one makes a slow reader).
    receive_buffer: Option<u32>,
}

impl Socket {
    /// Upgrades (the 101 is checked against the spec).
    async fn open(app: &TestApp, options: Open<'_>) -> Self {
        let tcp = TcpSocket::new_v4().unwrap();
        if let Some(size) = options.receive_buffer {
            tcp.set_recv_buffer_size(size).unwrap();
        }
        let stream = tcp.connect(app.public_addr).await.unwrap();
        let mut request = format!("ws://{}/api/v1/ws", app.public_addr)
            .into_client_request()
            .unwrap();
        if let Some(protocols) = options.protocols {
            request
                .headers_mut()
                .insert(SEC_WEBSOCKET_PROTOCOL, protocols.parse().unwrap());
        }
        let (ws, response) = client_async(request, stream).await.expect("upgraded");
        let url = Url::parse(&format!("{}/api/v1/ws", app.public_url)).unwrap();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        contract::assert_conforms(
            &Method::GET,
            &url,
            response.status().as_u16(),
            content_type,
            "",
        );
        if options.protocols.is_some() {
            assert_eq!(
                response.headers().get(SEC_WEBSOCKET_PROTOCOL),
                Some(&HeaderValue::from_static("trellis.v1"))
            );
        }
        Self { ws }
    }

    /// Signed in with the `bearer.` subprotocol; after `ready`.
    async fn bearer(app: &TestApp, token: &str) -> Self {
        let protocols = format!("trellis.v1, bearer.{token}");
        let mut socket = Self::open(
            app,
            Open {
                protocols: Some(&protocols),
                ..Open::default()
            },
        )
        .await;
        socket.expect("ready").await;
        socket
    }

    /// Signed in with an `auth` first frame; after `ready`.
    async fn auth_frame(app: &TestApp, token: &str) -> Self {
        let mut socket = Self::open(
            app,
            Open {
                protocols: Some("trellis.v1"),
                ..Open::default()
            },
        )
        .await;
        socket.send(json!({"type": "auth", "token": token})).await;
        socket.expect("ready").await;
        socket
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
    }

    /// The next frame of any kind (pings and pongs included).
    async fn raw(&mut self) -> Option<Message> {
        match tokio::time::timeout(WAIT, self.ws.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            Ok(Some(Err(_)) | None) => None,
            Err(_) => panic!("no frame within {WAIT:?}"),
        }
    }

    /// The next text frame, as JSON.
    async fn frame(&mut self) -> Value {
        loop {
            match self.raw().await {
                Some(Message::Text(text)) => return serde_json::from_str(&text).unwrap(),
                Some(Message::Ping(_) | Message::Pong(_)) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next text frame, which must be of `kind`.
    #[track_caller]
    fn expect(&mut self, kind: &'static str) -> impl Future<Output = Value> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let frame = self.frame().await;
            assert_eq!(frame["type"], kind, "{frame} (expected at {caller})");
            frame
        }
    }

    /// Reads up to the server's close frame: its code and reason.
    async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.raw().await {
                Some(Message::Close(Some(close))) => {
                    return (close.code.into(), close.reason.to_string());
                }
                Some(Message::Close(None)) | None => panic!("closed without a close frame"),
                Some(_) => {}
            }
        }
    }

    /// No text frame arrives for `period`.
    async fn quiet(&mut self, period: Duration) {
        let deadline = tokio::time::Instant::now() + period;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }
}

/// A socket that the server closes right after the upgrade (or the first
/// frame): its close code and reason.
async fn refused(app: &TestApp, protocols: &str, first: Option<Value>) -> (u16, String) {
    let mut socket = Socket::open(
        app,
        Open {
            protocols: Some(protocols),
            ..Open::default()
        },
    )
    .await;
    if let Some(frame) = first {
        socket.send(frame).await;
    }
    socket.closed().await
}

#[tokio::test]
async fn two_clients_exchange_messages_typing_and_receipts() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (user(&app, "alice").await, user(&app, "bob").await);
    let room = group(&app, &alice, &[&bob]).await;
    // One signs in with the subprotocol, the other with a first frame.
    let mut a = Socket::bearer(&app, &alice.token).await;
    let mut b = Socket::auth_frame(&app, &bob.token).await;

    a.send(json!({"type": "message", "room_id": room, "text": "  hello bob ", "client_id": "c-1"}))
        .await;
    // The sender gets its ack and the broadcast, in either order.
    let (first, second) = (a.frame().await, a.frame().await);
    let (ack, echo) = if first["type"] == "ack" {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["client_id"], "c-1");
    let id = ack["id"].as_str().unwrap().to_string();
    assert_eq!(echo["type"], "message", "{echo}");
    assert_eq!(echo["message"]["id"], id);
    let heard = b.expect("message").await;
    assert_eq!(heard["message"]["id"], id);
    assert_eq!(heard["message"]["text"], "hello bob");
    assert_eq!(heard["message"]["sender_id"], alice.id);
    assert_eq!(heard["message"]["room_id"], room);

    // A retry with the same client_id is acked with the first id, not sent again.
    a.send(json!({"type": "message", "room_id": room, "text": "hello bob", "client_id": "c-1"}))
        .await;
    let again = a.expect("ack").await;
    assert_eq!(again["id"], id);
    let history = send(app.authed(
        Method::GET,
        &format!("/api/v1/rooms/{room}/messages"),
        &bob.token,
    ))
    .await;
    assert_eq!(history.body["items"].as_array().map(Vec::len), Some(1));

    // Bob answers; Alice sees it.
    b.send(json!({"type": "message", "room_id": room, "text": "hi alice"}))
        .await;
    let (x, y) = (b.frame().await, b.frame().await);
    assert!(
        [&x["type"], &y["type"]] == ["ack", "message"]
            || [&x["type"], &y["type"]] == ["message", "ack"],
        "{x} {y}"
    );
    let reply = a.expect("message").await;
    assert_eq!(reply["message"]["text"], "hi alice");

    // Typing reaches the others only.
    b.send(json!({"type": "typing", "room_id": room})).await;
    let typing = a.expect("typing").await;
    assert_eq!(
        typing,
        json!({"type": "typing", "room_id": room, "user_id": bob.id})
    );
    b.send(json!({"type": "stop_typing", "room_id": room}))
        .await;
    let stop = a.expect("stop_typing").await;
    assert_eq!(stop["user_id"], bob.id);

    // A read receipt reaches both.
    b.send(json!({"type": "read", "room_id": room, "up_to": id}))
        .await;
    for socket in [&mut a, &mut b] {
        let read = socket.expect("read").await;
        assert_eq!(read["user_id"], bob.id);
        assert_eq!(read["up_to"], id);
    }

    // Ping, and frames the server does not understand: answered, still open.
    a.send(json!({"type": "ping"})).await;
    a.expect("pong").await;
    a.send(json!({"type": "shout"})).await;
    assert_eq!(a.expect("error").await["code"], "frame.invalid");
    a.ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(a.expect("error").await["code"], "frame.unsupported");
    a.send(json!({"type": "message", "room_id": room, "text": "   ", "client_id": "c-2"}))
        .await;
    let invalid = a.expect("error").await;
    assert_eq!(invalid["code"], "request.validation_failed");
    assert_eq!(invalid["client_id"], "c-2");
    a.send(json!({"type": "ping"})).await;
    a.expect("pong").await;
}

#[tokio::test]
async fn typing_stops_by_itself_without_a_refresh() {
    let app = TestApp::spawn_with(&[("TRELLIS_WS_TYPING_TTL", "300ms")]).await;
    let (alice, bob) = (user(&app, "alice").await, user(&app, "bob").await);
    let room = group(&app, &alice, &[&bob]).await;
    let mut a = Socket::bearer(&app, &alice.token).await;
    let mut b = Socket::bearer(&app, &bob.token).await;

    b.send(json!({"type": "typing", "room_id": room})).await;
    a.expect("typing").await;
    let started = tokio::time::Instant::now();
    let stop = a.expect("stop_typing").await;
    assert_eq!(stop["user_id"], bob.id);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Bob heard nothing of his own typing.
    b.quiet(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn rest_changes_reach_the_sockets_of_the_members() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (user(&app, "alice").await, user(&app, "bob").await);
    let carol = user(&app, "carol").await;
    let mut b = Socket::bearer(&app, &bob.token).await;

    // A room created with Bob in it.
    let room = group(&app, &alice, &[&bob]).await;
    let created = b.expect("room_created").await;
    assert_eq!(created["room_id"], room);
    assert_eq!(created["kind"], "group");
    assert_eq!(created["name"], "Team");

    // A message sent over REST.
    let id = post_message(&app, &alice, &room, "over REST").await;
    let message = b.expect("message").await;
    assert_eq!(message["message"]["id"], id);
    assert_eq!(message["message"]["text"], "over REST");

    // Edited, deleted, a member joined.
    let edited = send(
        app.authed(
            Method::PATCH,
            &format!("/api/v1/rooms/{room}/messages/{id}"),
            &alice.token,
        )
        .json(&json!({"text": "edited"})),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(
        b.expect("message_edited").await["message"]["text"],
        "edited"
    );
    let deleted = send(app.authed(
        Method::DELETE,
        &format!("/api/v1/rooms/{room}/messages/{id}"),
        &alice.token,
    ))
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(b.expect("message_deleted").await["message_id"], id);
    let added = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/rooms/{room}/members"),
            &alice.token,
        )
        .json(&json!({"user_id": carol.id})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let joined = b.expect("member_joined").await;
    assert_eq!(joined["user_id"], carol.id);
    assert_eq!(joined["role"], "member");
}

#[tokio::test]
async fn sockets_without_a_valid_token_are_closed_with_4001() {
    let app = TestApp::spawn_with(&[("TRELLIS_WS_AUTH_TIMEOUT", "300ms")]).await;
    let alice = user(&app, "alice").await;

    // Not a WebSocket request at all.
    send(app.get("/api/v1/ws"))
        .await
        .assert_problem(400, "request.not_websocket");

    // No token, no frame.
    assert_eq!(
        refused(&app, "trellis.v1", None).await,
        (4001, "auth.timeout".into())
    );
    // Something else first.
    assert_eq!(
        refused(&app, "trellis.v1", Some(json!({"type": "ping"}))).await,
        (4001, "auth.required".into())
    );
    // A token that is not ours, either way.
    assert_eq!(
        refused(&app, "trellis.v1, bearer.not-a-token", None).await,
        (4001, "auth.invalid_token".into())
    );
    assert_eq!(
        refused(
            &app,
            "trellis.v1",
            Some(json!({"type": "auth", "token": "not-a-token"}))
        )
        .await,
        (4001, "auth.invalid_token".into())
    );

    // An expired token, either way.
    let now = chrono::Utc::now().timestamp();
    let expired = app.sign(&Claims {
        sub: alice.id.parse().unwrap(),
        sid: trellis_kernel::id::SessionId::new(),
        roles: vec![],
        anon: false,
        iat: now - 3600,
        exp: now - 60,
        iss: "trellis".into(),
        aud: "trellis-api".into(),
    });
    assert_eq!(
        refused(&app, &format!("trellis.v1, bearer.{expired}"), None).await,
        (4001, "auth.token_expired".into())
    );
    assert_eq!(
        refused(
            &app,
            "trellis.v1",
            Some(json!({"type": "auth", "token": expired}))
        )
        .await,
        (4001, "auth.token_expired".into())
    );

    // A token of an ended session.
    let logout = send(app.authed(Method::POST, "/api/v1/auth/logout", &alice.token)).await;
    assert_eq!(logout.status, 204, "{}", logout.text);
    assert_eq!(
        refused(&app, &format!("trellis.v1, bearer.{}", alice.token), None).await,
        (4001, "auth.session_ended".into())
    );
}

#[tokio::test]
async fn an_ended_session_or_an_expired_token_closes_the_socket_with_4003() {
    let app = TestApp::spawn_with(&[("TRELLIS_ACCESS_TOKEN_TTL", "4s")]).await;
    let alice = user(&app, "alice").await;

    // Sign-out ends the session: its socket closes at once.
    let mut socket = Socket::bearer(&app, &alice.token).await;
    let logout = send(app.authed(Method::POST, "/api/v1/auth/logout", &alice.token)).await;
    assert_eq!(logout.status, 204, "{}", logout.text);
    assert_eq!(socket.closed().await, (4003, "auth.session_ended".into()));

    // A token expires (in 3 to 4 s: `exp` is in whole seconds): the socket
    // closes then, unless renewed.
    let login = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": alice.email, "password": PASSWORD}),
    ))
    .await;
    let first = login.body["access_token"].as_str().unwrap().to_string();
    let started = tokio::time::Instant::now();
    let mut expiring = Socket::bearer(&app, &first).await;
    let mut renewed = Socket::bearer(&app, &first).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fresh = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": alice.email, "password": PASSWORD}),
    ))
    .await;
    let fresh = fresh.body["access_token"].as_str().unwrap().to_string();
    renewed.send(json!({"type": "auth", "token": fresh})).await;
    renewed.expect("ready").await;
    // Someone else's token does not renew it.
    let bob = user(&app, "bob").await;
    renewed
        .send(json!({"type": "auth", "token": bob.token}))
        .await;
    assert_eq!(renewed.expect("error").await["code"], "auth.user_mismatch");

    assert_eq!(expiring.closed().await, (4003, "auth.token_expired".into()));
    assert!(started.elapsed() >= Duration::from_secs(1));
    // The renewed one outlives the first token (its own expires after
    // started + 4.5 s).
    tokio::time::sleep_until(started + Duration::from_millis(4250)).await;
    renewed.send(json!({"type": "ping"})).await;
    renewed.expect("pong").await;
}

#[tokio::test]
async fn strangers_hear_nothing_of_a_room_and_cannot_act_in_it() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (user(&app, "alice").await, user(&app, "bob").await);
    let mallory = user(&app, "mallory").await;
    let room = group(&app, &alice, &[&bob]).await;
    let mut m = Socket::bearer(&app, &mallory.token).await;
    let mut a = Socket::bearer(&app, &alice.token).await;

    post_message(&app, &alice, &room, "members only").await;
    a.send(json!({"type": "typing", "room_id": room})).await;

    for frame in [
        json!({"type": "message", "room_id": room, "text": "let me in", "client_id": "m-1"}),
        json!({"type": "typing", "room_id": room}),
        json!({"type": "stop_typing", "room_id": room}),
    ] {
        m.send(frame).await;
        let error = m.expect("error").await;
        assert_eq!(error["code"], "room.not_found", "{error}");
    }
    // The first frame Mallory hears of anything is a room of her own.
    let own = group(&app, &mallory, &[]).await;
    assert_eq!(m.expect("room_created").await["room_id"], own);
}

#[tokio::test]
async fn a_removed_member_stops_receiving() {
    let app = TestApp::spawn_with(&[("TRELLIS_WS_TYPING_TTL", "300ms")]).await;
    let (alice, bob) = (user(&app, "alice").await, user(&app, "bob").await);
    let room = group(&app, &alice, &[&bob]).await;
    let mut a = Socket::bearer(&app, &alice.token).await;
    let mut b = Socket::bearer(&app, &bob.token).await;

    // Alice starts typing while Bob is still a member...
    a.send(json!({"type": "typing", "room_id": room})).await;
    b.expect("typing").await;
    // ...and removes him.
    let removed = send(app.authed(
        Method::DELETE,
        &format!("/api/v1/rooms/{room}/members/{}", bob.id),
        &alice.token,
    ))
    .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let left = b.expect("member_left").await;
    assert_eq!(left["user_id"], bob.id);

    // Nothing of the room reaches him any more: not a message, not the
    // lapse of Alice's typing, not new typing.
    post_message(&app, &alice, &room, "after you left").await;
    a.send(json!({"type": "typing", "room_id": room})).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    b.send(json!({"type": "typing", "room_id": room})).await;
    assert_eq!(b.expect("error").await["code"], "room.not_found");
    // What comes next is a room he is in: nothing was queued before it.
    let direct = send(
        app.authed(Method::POST, "/api/v1/rooms", &alice.token)
            .json(&json!({"direct_with": bob.id})),
    )
    .await;
    assert_eq!(direct.status, 201, "{}", direct.text);
    let created = b.expect("room_created").await;
    assert_eq!(created["kind"], "direct");
}

#[tokio::test]
async fn messages_over_the_socket_share_the_rest_quota() {
    let app = TestApp::spawn().await;
    let staff = app.token_for(&[Role::Staff]);
    let quota = send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&staff)
            .json(&json!({"rate_limit.message": {"limit": 2, "window_secs": 60}})),
    )
    .await;
    assert_eq!(quota.status, 200, "{}", quota.text);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the settings cache
    let alice = user(&app, "alice").await;
    let room = group(&app, &alice, &[]).await;
    let mut a = Socket::bearer(&app, &alice.token).await;

    post_message(&app, &alice, &room, "one").await;
    a.expect("message").await;
    a.send(json!({"type": "message", "room_id": room, "text": "two", "client_id": "2"}))
        .await;
    let (x, y) = (a.frame().await, a.frame().await);
    assert!(x["type"] == "ack" || y["type"] == "ack", "{x} {y}");
    a.send(json!({"type": "message", "room_id": room, "text": "three", "client_id": "3"}))
        .await;
    let limited = a.expect("error").await;
    assert_eq!(limited["code"], "rate_limit.exceeded");
    assert_eq!(limited["client_id"], "3");
    assert!(limited["retry_after"].as_u64().unwrap() >= 1);
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
        )
        .json(&json!({"text": "four"})),
    )
    .await
    .assert_problem(429, "rate_limit.exceeded");
}

#[tokio::test]
async fn a_client_that_falls_behind_is_closed_with_4008() {
    let app = TestApp::spawn_with(&[
        ("TRELLIS_WS_SEND_QUEUE", "4"),
        ("TRELLIS_RATE_LIMITS", "off"),
    ])
    .await;
    let (alice, bob) = (user(&app, "alice").await, user(&app, "bob").await);
    let room = group(&app, &alice, &[&bob]).await;
    // Bob's socket takes little at a time, and he does not read for now.
    let protocols = format!("trellis.v1, bearer.{}", bob.token);
    let mut b = Socket::open(
        &app,
        Open {
            protocols: Some(&protocols),
            receive_buffer: Some(4096),
        },
    )
    .await;

    // Long messages (16 KB frames) fill the network buffers; then his
    // queue overflows.
    let text = "\u{1F600}".repeat(4000);
    let messages = slow_consumer_messages();
    for _ in 0..messages {
        post_message(&app, &alice, &room, &text).await;
    }
    // He reads at last: what was queued, then the close.
    b.expect("ready").await;
    let mut delivered = 0;
    let close = loop {
        let next = tokio::time::timeout(WAIT, b.ws.next()).await;
        let next = match next {
            Ok(Some(Ok(m))) => Some(m),
            Ok(_) => None,
            Err(_) => panic!("stalled after {delivered} messages"),
        };
        match next {
            Some(Message::Text(_)) => delivered += 1,
            Some(Message::Close(Some(close))) => {
                break (u16::from(close.code), close.reason.to_string());
            }
            Some(_) => {}
            None => panic!("closed without a close frame after {delivered} messages"),
        }
    };
    assert_eq!(close, (4008, "realtime.too_slow".into()));
    assert!(delivered < messages, "{delivered} of {messages} delivered");
    // Alice, who kept up, is unaffected.
    let mut a = Socket::bearer(&app, &alice.token).await;
    post_message(&app, &alice, &room, "still here").await;
    assert_eq!(a.expect("message").await["message"]["text"], "still here");
}

/// Enough 16 KB messages to overflow the server's socket buffer (which
/// grows up to the kernel's `tcp_wmem` maximum), the client's small one and
/// a queue of 4, with room to spare.
fn slow_consumer_messages() -> usize {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<usize>().ok())
        .unwrap_or(6 << 20);
    (wmem_max / 16_000 * 3 / 2 + 20).min(3000)
}

#[tokio::test]
async fn a_silent_client_is_dropped_and_a_live_one_kept() {
    let app = TestApp::spawn_with(&[
        ("TRELLIS_WS_PING_INTERVAL", "200ms"),
        ("TRELLIS_WS_IDLE_TIMEOUT", "700ms"),
    ])
    .await;
    let alice = user(&app, "alice").await;
    let mut silent = Socket::bearer(&app, &alice.token).await;
    let mut live = Socket::bearer(&app, &alice.token).await;

    // The live one reads, so its client answers the server's pings.
    let started = tokio::time::Instant::now();
    let mut pings = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        if let Ok(Some(Ok(Message::Ping(_)))) =
            tokio::time::timeout(Duration::from_millis(100), live.ws.next()).await
        {
            pings += 1;
        }
    }
    assert!(pings >= 3, "{pings} pings");
    live.send(json!({"type": "ping"})).await;
    live.expect("pong").await;

    // The silent one never read, so never answered: dropped, no close frame.
    let mut frames = 0;
    loop {
        match silent.raw().await {
            Some(Message::Ping(_)) => frames += 1,
            Some(Message::Close(_)) => panic!("a silent client gets no close frame"),
            Some(other) => panic!("unexpected {other:?}"),
            None => break,
        }
    }
    assert!(frames >= 1, "pinged before being dropped");
}

#[tokio::test]
async fn sockets_close_with_1001_when_the_server_stops() {
    let app = TestApp::spawn().await;
    let alice = user(&app, "alice").await;
    let mut socket = Socket::bearer(&app, &alice.token).await;
    app.shutdown();
    assert_eq!(socket.closed().await, (1001, "server.shutting_down".into()));
}

/// Those of `users` whom `app` counts as online (its realtime bus's
/// presence, which decides who is notified of a message).
async fn online(app: &TestApp, users: &[&User]) -> Vec<String> {
    let ids: Vec<trellis_kernel::id::UserId> =
        users.iter().map(|u| u.id.parse().unwrap()).collect();
    let online = app.state.realtime.online(&ids).await;
    users
        .iter()
        .filter(|u| online.contains(&u.id.parse().unwrap()))
        .map(|u| u.id.clone())
        .collect()
}

#[tokio::test]
async fn messages_typing_and_presence_cross_gateways() {
    let Some(redis) = TestRedis::for_test("messages_typing_and_presence_cross_gateways") else {
        return;
    };
    // Three instances behind one load balancer: A takes REST, Bob's socket
    // is on B and Alice's on C.
    let a = TestApp::spawn_with(&redis.overrides()).await;
    let b = a.sibling().await;
    let c = a.sibling().await;
    eventually("every gateway to hear notices", || async {
        [&a, &b, &c]
            .iter()
            .all(|g| g.state.notices.is_listening())
            .then_some(())
    })
    .await;
    let (alice, bob) = (user(&a, "alice").await, user(&a, "bob").await);
    let room = group(&a, &alice, &[&bob]).await;
    let mut bob_on_b = Socket::bearer(&b, &bob.token).await;
    let mut alice_on_c = Socket::bearer(&c, &alice.token).await;

    // A message sent over REST to A reaches both sockets, once.
    let id = post_message(&a, &alice, &room, "hello from A").await;
    for socket in [&mut bob_on_b, &mut alice_on_c] {
        let heard = socket.expect("message").await;
        assert_eq!(heard["message"]["id"], id);
        assert_eq!(heard["message"]["text"], "hello from A");
    }

    // Typing on B reaches C.
    bob_on_b
        .send(json!({"type": "typing", "room_id": room}))
        .await;
    let typing = alice_on_c.expect("typing").await;
    assert_eq!(
        typing,
        json!({"type": "typing", "room_id": room, "user_id": bob.id})
    );
    bob_on_b
        .send(json!({"type": "stop_typing", "room_id": room}))
        .await;
    assert_eq!(alice_on_c.expect("stop_typing").await["user_id"], bob.id);

    // A message sent on C's socket reaches B, and C's own socket only once
    // (C delivers it itself and ignores its own notice).
    alice_on_c
        .send(json!({"type": "message", "room_id": room, "text": "from C"}))
        .await;
    let (x, y) = (alice_on_c.frame().await, alice_on_c.frame().await);
    let mut kinds = [x["type"].as_str(), y["type"].as_str()];
    kinds.sort_unstable();
    assert_eq!(kinds, [Some("ack"), Some("message")], "{x} {y}");
    assert_eq!(
        bob_on_b.expect("message").await["message"]["text"],
        "from C"
    );
    alice_on_c.quiet(Duration::from_millis(300)).await;
    bob_on_b.quiet(Duration::from_millis(300)).await;

    // A, with no sockets of its own, counts both as online.
    eventually("A to see both users online", || async {
        (online(&a, &[&alice, &bob]).await.len() == 2).then_some(())
    })
    .await;
    // Bob's socket closes: every instance soon counts him offline.
    drop(bob_on_b);
    eventually("A to see Bob go offline", || async {
        (online(&a, &[&alice, &bob]).await == vec![alice.id.clone()]).then_some(())
    })
    .await;
    assert_eq!(online(&b, &[&bob]).await, Vec::<String>::new());
}
