//! Notifications as clients and staff see them: preferences, push devices,
//! unsubscribe links from real emails, the deliveries list and retry, the
//! watchdog and the metrics. Texts go to a fake Twilio (wiremock).

use std::{future::Future, time::Duration};

use reqwest::Method;
use serde_json::{Value, json};
use trellis_kernel::Role;
use trellis_tests::{
    PASSWORD, Reply, TestApp, eventually, mail::mails_to, send, unique_email, unique_phone,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const CRON_SECRET: &str = "0123456789abcdef-cron-secret";
const TWILIO_SID: &str = "AC0123456789abcdef";
const TWILIO_FROM: &str = "+15005550006";
const PREFERENCES: &str = "/api/v1/users/me/notification-preferences";
const DEVICES: &str = "/api/v1/users/me/devices";
const UNSUBSCRIBE: &str = "/api/v1/notifications/unsubscribe";

/// A signed-in person.
struct Person {
    token: String,
    id: String,
    email: String,
}

async fn person(app: &TestApp, name: &str) -> Person {
    let email = unique_email(name);
    let token = app.access_token(&email).await;
    let me = send(app.authed(Method::GET, "/api/v1/users/me", &token)).await;
    Person {
        id: me.body["id"].as_str().unwrap().to_owned(),
        token,
        email,
    }
}

/// `GET /internal/notifications?{query}` as staff: the page.
async fn deliveries(app: &TestApp, staff: &str, query: &str) -> Reply {
    let reply = send(
        app.internal(Method::GET, &format!("/internal/notifications?{query}"))
            .bearer_auth(staff),
    )
    .await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.text);
    reply
}

fn items(reply: &Reply) -> Vec<Value> {
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

fn retry(app: &TestApp, staff: &str, id: &str) -> impl Future<Output = Reply> + use<> {
    send(
        app.internal(Method::POST, &format!("/internal/notifications/{id}/retry"))
            .bearer_auth(staff),
    )
}

/// The preference of `kind` on `channel` in a preferences body.
fn preference<'a>(body: &'a Value, kind: &str, channel: &str) -> &'a Value {
    body["preferences"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|p| p["kind"] == kind && p["channel"] == channel)
        })
        .unwrap_or_else(|| panic!("no {kind}/{channel} in {body}"))
}

#[tokio::test]
async fn notifications_preferences_list_every_kind_and_keep_security_kinds_on() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let ana = person(&app, "prefs").await;
    let get = || send(app.authed(Method::GET, PREFERENCES, &ana.token));
    let put = |changes: Value| {
        send(
            app.authed(Method::PUT, PREFERENCES, &ana.token)
                .json(&json!({ "preferences": changes })),
        )
    };

    let all = get().await;
    assert_eq!(all.status, 200, "{}", all.text);
    let list = all.body["preferences"].as_array().unwrap();
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|p| (p["kind"].to_string(), p["channel"].to_string()))
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), list.len(), "one entry per kind and channel");
    assert!(
        list.iter().all(|p| p["enabled"] == true),
        "everything starts on"
    );
    for kind in [
        "welcome",
        "booking_confirmed",
        "new_message",
        "invoice_sent",
    ] {
        assert!(list.iter().any(|p| p["kind"] == kind), "{kind} is listed");
    }
    for (kind, channel) in [
        ("password_reset", "email"),
        ("email_verification", "email"),
        ("otp_code", "sms"),
    ] {
        assert_eq!(preference(&all.body, kind, channel)["security"], true);
    }
    for channel in ["email", "whatsapp", "push"] {
        assert_eq!(
            preference(&all.body, "booking_confirmed", channel)["security"],
            false
        );
    }

    // One channel of one kind off; the rest stays.
    let off =
        put(json!([{"kind": "booking_confirmed", "channel": "email", "enabled": false}])).await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(
        preference(&off.body, "booking_confirmed", "email")["enabled"],
        false
    );
    let now = get().await;
    assert_eq!(
        preference(&now.body, "booking_confirmed", "email")["enabled"],
        false
    );
    assert_eq!(
        preference(&now.body, "booking_confirmed", "whatsapp")["enabled"],
        true
    );

    // A security kind cannot be turned off, and the whole change is refused.
    let refused = put(json!([
        {"kind": "booking_cancelled", "channel": "email", "enabled": false},
        {"kind": "password_reset", "channel": "email", "enabled": false}
    ]))
    .await;
    refused.assert_problem(422, "notification.security_kind");
    assert!(
        refused.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("password_reset")),
        "{}",
        refused.text
    );
    let unchanged = get().await;
    assert_eq!(
        preference(&unchanged.body, "booking_cancelled", "email")["enabled"],
        true
    );
    assert_eq!(
        preference(&unchanged.body, "password_reset", "email")["enabled"],
        true
    );
    // Turning a security kind "on" is no change at all.
    let on = put(json!([{"kind": "password_reset", "channel": "email", "enabled": true}])).await;
    assert_eq!(on.status, 200, "{}", on.text);

    // A channel the kind never uses names the change.
    let never = put(json!([{"kind": "welcome", "channel": "sms", "enabled": false}])).await;
    never.assert_problem(422, "request.validation_failed");
    assert_eq!(never.body["errors"][0]["field"], "preferences[0].channel");

    // Kinds and channels that do not exist are not ours to parse.
    let unknown_kind =
        put(json!([{"kind": "horoscope", "channel": "email", "enabled": false}])).await;
    unknown_kind.assert_problem(400, "request.invalid_body");
    let unknown_channel =
        put(json!([{"kind": "welcome", "channel": "pigeon", "enabled": false}])).await;
    unknown_channel.assert_problem(400, "request.invalid_body");

    // And back on.
    let back =
        put(json!([{"kind": "booking_confirmed", "channel": "email", "enabled": true}])).await;
    assert_eq!(
        preference(&back.body, "booking_confirmed", "email")["enabled"],
        true
    );

    send(app.get(PREFERENCES))
        .await
        .assert_problem(401, "auth.missing_token");
}

#[tokio::test]
async fn notifications_devices_register_once_list_move_and_forget() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let (ana, rui) = (person(&app, "ana").await, person(&app, "rui").await);
    let register = |who: &Person, token: &str, platform: &str| {
        send(
            app.authed(Method::POST, DEVICES, &who.token)
                .json(&json!({"token": token, "platform": platform})),
        )
    };
    let list = |who: &Person| send(app.authed(Method::GET, DEVICES, &who.token));
    let remove = |who: &Person, id: &str| {
        send(app.authed(Method::DELETE, &format!("{DEVICES}/{id}"), &who.token))
    };

    let fcm = format!("fcm-{}-phone-a1b2c3d4", uuid::Uuid::now_v7().simple());
    let first = register(&ana, &fcm, "android").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["platform"], "android");
    assert_eq!(first.body["token_suffix"], "…a1b2c3d4");
    assert!(
        !first.text.contains(&fcm),
        "the token is never echoed whole"
    );
    let id = first.body["id"].as_str().unwrap().to_owned();

    let again = register(&ana, &fcm, "android").await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], id.as_str());

    let mine = list(&ana).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    let devices = mine.body["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["id"], id.as_str());

    // Someone else's device is not there for me.
    let rui_fcm = format!("fcm-{}-rui", uuid::Uuid::now_v7().simple());
    let ruis = register(&rui, &rui_fcm, "ios").await;
    assert_eq!(ruis.status, 201, "{}", ruis.text);
    remove(&ana, ruis.body["id"].as_str().unwrap())
        .await
        .assert_problem(404, "device.not_found");
    assert_eq!(
        list(&rui).await.body["devices"].as_array().unwrap().len(),
        1
    );

    let gone = remove(&ana, &id).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert!(gone.text.is_empty());
    remove(&ana, &id)
        .await
        .assert_problem(404, "device.not_found");
    assert!(
        list(&ana).await.body["devices"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A token is one device: registered by someone else, it moves to them.
    let shared = format!("fcm-{}-tablet", uuid::Uuid::now_v7().simple());
    let anas = register(&ana, &shared, "web").await;
    assert_eq!(anas.status, 201, "{}", anas.text);
    let moved = register(&rui, &shared, "web").await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["id"], anas.body["id"]);
    assert!(
        list(&ana).await.body["devices"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        list(&rui).await.body["devices"].as_array().unwrap().len(),
        2
    );

    register(&ana, "   ", "android")
        .await
        .assert_problem(422, "request.validation_failed");
    register(&ana, "x", "blackberry")
        .await
        .assert_problem(400, "request.invalid_body");
    remove(&ana, "not-an-id")
        .await
        .assert_problem(400, "request.invalid_parameter");
    send(app.post_json(DEVICES, &json!({"token": "t", "platform": "android"})))
        .await
        .assert_problem(401, "auth.missing_token");
    send(app.get(DEVICES))
        .await
        .assert_problem(401, "auth.missing_token");
    send(app.request(Method::DELETE, &format!("{DEVICES}/{id}")))
        .await
        .assert_problem(401, "auth.missing_token");
}

/// The token of the unsubscribe link in an email's text.
fn unsubscribe_token(text: &str) -> String {
    let start = text
        .find("unsubscribe?token=")
        .unwrap_or_else(|| panic!("no unsubscribe link in {text}"))
        + "unsubscribe?token=".len();
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// Posts `text` to `room` as `who`.
async fn post_message(app: &TestApp, who: &Person, room: &str, text: &str) {
    let sent = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/rooms/{room}/messages"),
            &who.token,
        )
        .json(&json!({"text": text})),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
}

/// Waits until `n` chat messages were recorded and every one was handled.
async fn messages_handled(app: &TestApp, staff: &str, n: usize) {
    eventually("the chat messages' events to be handled", || async {
        let events = send(
            app.internal(Method::GET, "/internal/events?limit=200")
                .bearer_auth(staff),
        )
        .await;
        let messages: Vec<Value> = events.body["items"]
            .as_array()?
            .iter()
            .filter(|e| e["kind"] == "message.created")
            .cloned()
            .collect();
        (messages.len() == n && messages.iter().all(|e| e["status"] == "delivered")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn notifications_an_unsubscribe_link_from_a_chat_email_turns_that_email_off() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let staff = app.token_for(&[Role::Staff]);
    let (ana, bia, caio) = (
        person(&app, "ana").await,
        person(&app, "bia").await,
        person(&app, "caio").await,
    );
    let room = send(
        app.authed(Method::POST, "/api/v1/rooms", &ana.token)
            .json(&json!({"name": "Front desk", "members": [bia.id, caio.id]})),
    )
    .await;
    assert_eq!(room.status, 201, "{}", room.text);
    let room = room.body["id"].as_str().unwrap().to_owned();

    // Nobody is connected: both hear about the message by email, with a link.
    post_message(&app, &ana, &room, "Thursday at 3 pm?").await;
    let bia_mail = app.mail(&bia.email, "New message from").await;
    let caio_mail = app.mail(&caio.email, "New message from").await;
    assert!(
        bia_mail.text.contains("Thursday at 3 pm?"),
        "{}",
        bia_mail.text
    );
    let bia_token = unsubscribe_token(&bia_mail.text);
    let caio_token = unsubscribe_token(&caio_mail.text);
    assert_ne!(bia_token, caio_token);

    // Tokens that are not ours.
    let json_post = |token: &str| send(app.post_json(UNSUBSCRIBE, &json!({"token": token})));
    json_post("bm90LW91cnM.c2lnbmF0dXJl")
        .await
        .assert_problem(403, "notification.unsubscribe_invalid");
    let (payload, _) = bia_token.split_once('.').unwrap();
    json_post(&format!(
        "{payload}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    ))
    .await
    .assert_problem(403, "notification.unsubscribe_invalid");
    // No token at all, or two different ones.
    send(app.request(Method::POST, UNSUBSCRIBE))
        .await
        .assert_problem(422, "request.validation_failed");
    send(app.post_json(
        &format!("{UNSUBSCRIBE}?token={caio_token}"),
        &json!({"token": bia_token}),
    ))
    .await
    .assert_problem(422, "request.validation_failed");
    send(
        app.request(Method::POST, UNSUBSCRIBE)
            .header("content-type", "text/plain")
            .body(bia_token.clone()),
    )
    .await
    .assert_problem(415, "request.unsupported_media_type");

    // Bia follows her link from the web app (JSON).
    let bia_done = json_post(&bia_token).await;
    assert_eq!(bia_done.status, 200, "{}", bia_done.text);
    assert_eq!(
        bia_done.body,
        json!({"kind": "new_message", "channel": "email"})
    );
    // Caio's mail client posts the one-click form to the link (RFC 8058).
    let one_click = send(
        app.request(Method::POST, &format!("{UNSUBSCRIBE}?token={caio_token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click"),
    )
    .await;
    assert_eq!(one_click.status, 200, "{}", one_click.text);
    assert_eq!(one_click.body["kind"], "new_message");
    assert_eq!(one_click.body["channel"], "email");
    // Following a link again changes nothing, whichever way.
    let boundary = "trellis-boundary";
    let multipart = send(
        app.request(Method::POST, &format!("{UNSUBSCRIBE}?token={caio_token}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n\
                 One-Click\r\n--{boundary}--\r\n"
            )),
    )
    .await;
    assert_eq!(multipart.status, 200, "{}", multipart.text);
    let bare = send(app.request(Method::POST, &format!("{UNSUBSCRIBE}?token={bia_token}"))).await;
    assert_eq!(bare.status, 200, "{}", bare.text);

    // Only that kind on that channel is off.
    let prefs = send(app.authed(Method::GET, PREFERENCES, &bia.token)).await;
    assert_eq!(
        preference(&prefs.body, "new_message", "email")["enabled"],
        false
    );
    assert_eq!(
        preference(&prefs.body, "new_message", "push")["enabled"],
        true
    );
    assert_eq!(preference(&prefs.body, "welcome", "email")["enabled"], true);

    // The next message is handled, and tells neither of them by email.
    messages_handled(&app, &staff, 1).await;
    post_message(&app, &ana, &room, "Or Friday?").await;
    messages_handled(&app, &staff, 2).await;
    let told = deliveries(&app, &staff, "kind=new_message").await;
    let told = items(&told);
    assert_eq!(told.len(), 2, "only the first message's: {told:?}");
    assert!(told.iter().all(|d| d["channel"] == "email"));
    // The worker had time to send anything queued with the first ones.
    eventually("the first emails to settle", || async {
        let sent = deliveries(&app, &staff, "kind=new_message&status=sent").await;
        (items(&sent).len() == 2).then_some(())
    })
    .await;
    for who in [&bia, &caio] {
        let chat_mails = mails_to(&app.mail_dir, &who.email)
            .into_iter()
            .filter(|m| m.subject.contains("New message from"))
            .count();
        assert_eq!(chat_mails, 1, "{}", who.email);
    }
}

#[tokio::test]
async fn notifications_staff_list_deliveries_by_status_kind_and_channel_a_page_at_a_time() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let staff = app.token_for(&[Role::Staff]);
    let mut people = Vec::new();
    for name in ["one", "two", "three"] {
        people.push(person(&app, name).await);
    }
    // Each was sent a one-time link to confirm the address: a secret,
    // erased once sent (no summary).
    let links = eventually("three verification emails sent", || async {
        let reply = deliveries(&app, &staff, "kind=email_verification&status=sent").await;
        let found = items(&reply);
        (found.len() == 3).then_some(found)
    })
    .await;
    for link in &links {
        assert_eq!(link["channel"], "email");
        assert_eq!(link["attempts"], 1);
        assert!(link.get("summary").is_none(), "{link}");
        assert!(link["sent_at"].is_string(), "{link}");
        assert!(
            people.iter().any(|p| link["address"] == p.email.as_str()
                && link["recipient_user_id"] == p.id.as_str()),
            "{link}"
        );
    }
    // Newest first.
    let ids: Vec<&str> = links.iter().map(|d| d["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);

    // One confirms the address, and is welcomed: another kind, kept whole.
    let mail = app.mail(&people[0].email, "Confirm your email").await;
    let start = mail.text.find("token=").unwrap() + "token=".len();
    let token: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let verified = send(app.post_json("/api/v1/auth/verify-email", &json!({"token": token}))).await;
    assert_eq!(verified.status, 204, "{}", verified.text);
    let welcome = eventually("the welcome email sent", || async {
        let reply = deliveries(&app, &staff, "kind=welcome&status=sent").await;
        items(&reply).into_iter().next()
    })
    .await;
    assert!(welcome["summary"].is_string(), "{welcome}");
    assert_eq!(welcome["recipient_user_id"], people[0].id.as_str());

    // Filters combine.
    let email = items(&deliveries(&app, &staff, "channel=email&status=sent").await);
    assert_eq!(email.len(), 4, "{email:?}");
    assert!(email.iter().all(|d| d["channel"] == "email"));
    assert_eq!(email[0]["id"], welcome["id"], "newest first");
    assert_eq!(
        items(&deliveries(&app, &staff, "kind=welcome").await).len(),
        1
    );
    assert!(items(&deliveries(&app, &staff, "channel=sms").await).is_empty());
    assert!(items(&deliveries(&app, &staff, "status=dead").await).is_empty());
    assert!(items(&deliveries(&app, &staff, "status=pending").await).is_empty());
    assert!(items(&deliveries(&app, &staff, "kind=welcome&channel=push").await).is_empty());

    // Pages.
    let first = deliveries(&app, &staff, "kind=email_verification&limit=2").await;
    assert_eq!(items(&first).len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = deliveries(
        &app,
        &staff,
        &format!("kind=email_verification&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(items(&second).len(), 1);
    assert!(second.body.get("next_cursor").is_none(), "{}", second.text);
    let paged: Vec<Value> = items(&first).into_iter().chain(items(&second)).collect();
    assert_eq!(
        paged.iter().map(|d| d["id"].clone()).collect::<Vec<_>>(),
        links.iter().map(|d| d["id"].clone()).collect::<Vec<_>>()
    );

    let bad = |query: &str| {
        send(
            app.internal(Method::GET, &format!("/internal/notifications?{query}"))
                .bearer_auth(&staff),
        )
    };
    bad("status=lost")
        .await
        .assert_problem(400, "request.invalid_parameter");
    bad("kind=horoscope")
        .await
        .assert_problem(400, "request.invalid_parameter");
    bad("limit=0")
        .await
        .assert_problem(422, "request.validation_failed");
    bad("cursor=not-ours")
        .await
        .assert_problem(422, "request.validation_failed");

    // Staff only.
    send(
        app.internal(Method::GET, "/internal/notifications")
            .bearer_auth(&people[0].token),
    )
    .await
    .assert_problem(403, "auth.role_required");
    send(app.internal(Method::GET, "/internal/notifications"))
        .await
        .assert_problem(401, "auth.missing_token");
    let welcome = welcome["id"].as_str().unwrap();
    send(
        app.internal(
            Method::POST,
            &format!("/internal/notifications/{welcome}/retry"),
        )
        .bearer_auth(&people[0].token),
    )
    .await
    .assert_problem(403, "auth.role_required");

    // Only what failed is sent again.
    retry(&app, &staff, welcome)
        .await
        .assert_problem(409, "notification.not_retryable");
    retry(&app, &staff, &uuid::Uuid::now_v7().to_string())
        .await
        .assert_problem(404, "notification.not_found");
    retry(&app, &staff, "not-an-id")
        .await
        .assert_problem(400, "request.invalid_parameter");

    // What was sent is counted.
    let metrics = send(app.internal(Method::GET, "/metrics")).await;
    assert_eq!(metrics.status, 200);
    let sent_line = metrics
        .text
        .lines()
        .find(|l| {
            l.starts_with(
                "trellis_notification_deliveries_total{channel=\"email\",outcome=\"sent\"}",
            )
        })
        .unwrap_or_else(|| panic!("no sent emails counted in\n{}", metrics.text));
    let counted: f64 = sent_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(counted >= 4.0, "{sent_line}");
    assert!(
        metrics
            .text
            .lines()
            .any(|l| l.starts_with("trellis_notification_queue_age_seconds ")),
        "{}",
        metrics.text
    );
}

/// A fake Twilio answering every message with `status` and `body`.
async fn twilio(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    answer(&server, status, body).await;
    server
}

async fn answer(server: &MockServer, status: u16, body: Value) {
    server.reset().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
        )))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

/// The form fields of the texts Twilio received, oldest first.
async fn texts(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            assert_eq!(
                r.headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/x-www-form-urlencoded")
            );
            let auth = r
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(auth.starts_with("Basic "), "basic auth: {auth:?}");
            form_fields(&r.body)
        })
        .collect()
}

/// An `application/x-www-form-urlencoded` body's fields.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    let decode = |part: &str| {
        let bytes = part.replace('+', " ").into_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    };
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {form:?}"))
}

fn twilio_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("TRELLIS_RATE_LIMITS", "off".into()),
        ("CRON_SECRET", CRON_SECRET.into()),
        ("TRELLIS_OTP_COOLDOWN", "0s".into()),
        ("TWILIO_ACCOUNT_SID", TWILIO_SID.into()),
        ("TWILIO_AUTH_TOKEN", "twilio-auth-token".into()),
        ("TWILIO_FROM", TWILIO_FROM.into()),
        ("TWILIO_API_BASE", server.uri()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A professional (UTC, a 60-minute service, open 09:00-17:00 every day):
/// its booking slug and service id.
async fn professional(app: &TestApp) -> (String, String) {
    let token = app.access_token(&unique_email("pro")).await;
    let slug = format!("pro-{}", uuid::Uuid::now_v7().simple());
    let created = send(
        app.authed(Method::POST, "/api/v1/professionals", &token)
            .json(&json!({"slug": slug, "name": "Ana Lima", "time_zone": "UTC"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let service = send(
        app.authed(Method::POST, "/api/v1/professionals/me/services", &token)
            .json(&json!({
                "name": "Cut", "duration_minutes": 60, "price_minor": 3500, "currency": "eur",
                "min_notice_minutes": 0, "max_advance_days": 730
            })),
    )
    .await;
    assert_eq!(service.status, 201, "{}", service.text);
    let rules: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"}))
        .collect();
    let hours = send(
        app.authed(Method::PUT, "/api/v1/professionals/me/availability", &token)
            .json(&json!({"rules": rules})),
    )
    .await;
    assert_eq!(hours.status, 200, "{}", hours.text);
    (slug, service.body["id"].as_str().unwrap().to_owned())
}

/// A text Twilio refuses is dead at once; staff send it again once Twilio
/// takes it. A one-time code is not kept, so it cannot be sent again.
#[tokio::test]
async fn notifications_a_refused_text_is_dead_and_staff_send_it_again() {
    use chrono::TimeZone;
    let server = twilio(
        400,
        json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}),
    )
    .await;
    let clock = trellis_kernel::clock::ManualClock::at(
        chrono::Utc.with_ymd_and_hms(2026, 11, 22, 7, 0, 0).unwrap(),
    );
    let env = twilio_env(&server);
    let app = TestApp::spawn_with_clock(&borrowed(&env), std::sync::Arc::new(clock)).await;
    let staff = app.token_for(&[Role::Staff]);

    // Tomorrow's reminder goes to a client known only by phone: a text.
    let (slug, service) = professional(&app).await;
    let phone = unique_phone();
    let booked = send(app.post_json(
        &format!("/api/v1/booking/{slug}"),
        &json!({"service_id": service, "start_at": "2026-11-23T10:00:00Z",
                "client": {"name": "Lia", "phone": phone}}),
    ))
    .await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let reminders = send(
        app.internal(Method::POST, "/internal/cron/reminders")
            .header("x-cron-secret", CRON_SECRET),
    )
    .await;
    assert_eq!(reminders.body["report"]["queued"], 1, "{}", reminders.text);

    let dead = eventually("the reminder text to die", || async {
        let reply = deliveries(&app, &staff, "channel=sms&status=dead").await;
        items(&reply).into_iter().next()
    })
    .await;
    assert_eq!(dead["kind"], "reminder_24h");
    assert_eq!(dead["attempts"], 1, "a refusal is not retried: {dead}");
    assert!(
        dead["last_error"].as_str().unwrap().contains("twilio 400"),
        "{dead}"
    );
    assert_ne!(dead["address"], phone.as_str(), "the phone is masked");
    let sent = texts(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(field(&sent[0], "To"), phone);
    assert_eq!(field(&sent[0], "From"), TWILIO_FROM);
    assert!(field(&sent[0], "Body").contains("reminder"), "{sent:?}");

    // A sign-in code: the text carries the code, and it dies too.
    let otp_phone = unique_phone();
    let requested =
        send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": otp_phone}))).await;
    assert_eq!(requested.status, 200, "{}", requested.text);
    let otp = eventually("the code's text to die", || async {
        let reply = deliveries(&app, &staff, "kind=otp_code&status=dead").await;
        items(&reply).into_iter().next()
    })
    .await;
    assert!(otp.get("summary").is_none(), "the code is erased: {otp}");
    let sent = texts(&server).await;
    let code_text = sent
        .iter()
        .find(|form| field(form, "To") == otp_phone)
        .unwrap();
    let body = field(code_text, "Body");
    let start = body.find("your code is ").unwrap() + "your code is ".len();
    let code: String = body[start..].chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{body}");
    let verified = send(app.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": otp_phone, "code": code}),
    ))
    .await;
    assert_eq!(
        verified.status, 200,
        "the texted code is the code: {}",
        verified.text
    );
    retry(&app, &staff, otp["id"].as_str().unwrap())
        .await
        .assert_problem(409, "notification.content_erased");

    // Twilio takes texts again: staff send the reminder round once more.
    answer(&server, 201, json!({"sid": "SM1", "status": "queued"})).await;
    let id = dead["id"].as_str().unwrap();
    let again = retry(&app, &staff, id).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["status"], "pending");
    assert_eq!(again.body["attempts"], 0);
    let delivered = eventually("the reminder text to be sent", || async {
        let reply = deliveries(&app, &staff, "channel=sms&status=sent").await;
        items(&reply).into_iter().find(|d| d["id"] == id)
    })
    .await;
    assert_eq!(delivered["provider_id"], "SM1");
    assert_eq!(delivered["attempts"], 1);
    assert!(delivered.get("last_error").is_none(), "{delivered}");
    let resent = texts(&server).await;
    assert_eq!(resent.len(), 1, "the mock was reset before the retry");
    assert_eq!(field(&resent[0], "To"), phone);
    retry(&app, &staff, id)
        .await
        .assert_problem(409, "notification.not_retryable");
}

/// Texts that keep failing are re-queued by the watchdog, which tells staff
/// once a day however often it runs.
#[tokio::test]
async fn notifications_the_watchdog_requeues_failed_texts_and_alerts_staff_once() {
    use chrono::TimeZone;
    let server = twilio(503, json!({"message": "Service Unavailable"})).await;
    let env = twilio_env(&server);
    // A fixed day (the alert is once per UTC day), and time stands still:
    // only the watchdog sends a failed text round again.
    let clock = trellis_kernel::clock::ManualClock::at(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .unwrap(),
    );
    let app = TestApp::spawn_with_clock(&borrowed(&env), std::sync::Arc::new(clock)).await;
    let staff = app.token_for(&[Role::Staff]);
    let ops = unique_email("ops");
    app.state
        .identity
        .staff
        .create_staff(&app.state.db, &ops, PASSWORD, false)
        .await
        .expect("create staff");

    let phone = unique_phone();
    let requested = send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": phone}))).await;
    assert_eq!(requested.status, 200, "{}", requested.text);
    let failed = eventually("the code's text to fail", || async {
        let reply = deliveries(&app, &staff, "channel=sms&status=failed").await;
        items(&reply).into_iter().next()
    })
    .await;
    assert_eq!(failed["kind"], "otp_code");
    assert_eq!(failed["attempts"], 1);
    assert!(
        failed["last_error"]
            .as_str()
            .unwrap()
            .contains("twilio 503"),
        "{failed}"
    );
    assert!(
        failed["summary"].is_string(),
        "kept while it may be retried"
    );

    let watchdog = || {
        send(
            app.internal(Method::POST, "/internal/cron/notifications-watchdog")
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    let first = watchdog().await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["job"], "notifications-watchdog");
    assert_eq!(first.body["ran"], true);
    assert_eq!(first.body["report"]["requeued"], 1, "{}", first.text);
    assert_eq!(first.body["report"]["failing"], 1, "{}", first.text);
    assert_eq!(first.body["report"]["alerted"], true, "{}", first.text);

    // Re-queued: tried again at once (and failing again).
    eventually("a second attempt at the text", || async {
        (server.received_requests().await?.len() >= 2).then_some(())
    })
    .await;
    let alert = app.mail(&ops, "Delivery failures on").await;
    assert!(alert.text.contains("22 November 2026"), "{}", alert.text);
    assert!(alert.text.contains("SMS: "), "{}", alert.text);
    assert!(alert.text.contains("twilio 503"), "{}", alert.text);

    let second = watchdog().await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["report"]["alerted"], false, "{}", second.text);
    // The second run queued no alert: give the pipeline time to prove it.
    eventually("every alert delivery to settle", || async {
        let reply = deliveries(&app, &staff, "kind=delivery_failures_alert").await;
        let alerts = items(&reply);
        (!alerts.is_empty() && alerts.iter().all(|d| d["status"] == "sent")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let alerts = items(&deliveries(&app, &staff, "kind=delivery_failures_alert").await);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let mails = mails_to(&app.mail_dir, &ops)
        .into_iter()
        .filter(|m| m.subject.contains("Delivery failures"))
        .count();
    assert_eq!(mails, 1);
}

/// Unsubscribing is counted per address in a class of its own, apart from
/// the general quota.
#[tokio::test]
async fn notifications_unsubscribe_links_have_their_own_per_ip_quota() {
    let app = TestApp::spawn().await;
    let staff = app.token_for(&[Role::Staff]);
    let quota = send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&staff)
            .json(&json!({
                "rate_limit.unsubscribe": {"limit": 2, "window_secs": 60},
                "rate_limit.general": {"limit": 1, "window_secs": 60}
            })),
    )
    .await;
    assert_eq!(quota.status, 200, "{}", quota.text);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the settings cache
    let forged = || send(app.post_json(UNSUBSCRIBE, &json!({"token": "bm90.b3Vycw"})));
    forged()
        .await
        .assert_problem(403, "notification.unsubscribe_invalid");
    forged()
        .await
        .assert_problem(403, "notification.unsubscribe_invalid");
    let limited = forged().await;
    limited.assert_problem(429, "rate_limit.exceeded");
    assert!(limited.header("retry-after").is_some());
}
