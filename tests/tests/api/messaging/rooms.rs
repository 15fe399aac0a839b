//! Rooms, members, messages and read receipts over REST, as a client sees
//! them (every response is checked against the spec).

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{TestApp, send, unique_email};

/// A signed-in person: token and user id.
struct Person {
    token: String,
    id: String,
}

async fn person(app: &TestApp, name: &str) -> Person {
    let token = app.access_token(&unique_email(name)).await;
    let me = send(app.authed(Method::GET, "/api/v1/users/me", &token)).await;
    Person {
        id: me.body["id"].as_str().unwrap().to_owned(),
        token,
    }
}

async fn call(
    app: &TestApp,
    who: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> trellis_tests::Reply {
    let request = app.authed(method, path, &who.token);
    send(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

#[tokio::test]
async fn a_professional_and_a_client_talk_in_their_direct_room() {
    let app = TestApp::spawn().await;
    let (pro, client, stranger) = (
        person(&app, "pro").await,
        person(&app, "client").await,
        person(&app, "stranger").await,
    );
    let created = call(
        &app,
        &pro,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"direct_with": client.id})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["kind"], "direct");
    let room = created.body["id"].as_str().unwrap().to_owned();
    // Asking again, from either side, is the same room.
    let again = call(
        &app,
        &client,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"direct_with": pro.id})),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], room.as_str());

    let messages = format!("/api/v1/rooms/{room}/messages");
    let hello = call(
        &app,
        &client,
        Method::POST,
        &messages,
        Some(json!({"text": "  Can we move Friday?  "})),
    )
    .await;
    assert_eq!(hello.status, 201, "{}", hello.text);
    assert_eq!(hello.body["text"], "Can we move Friday?");
    assert_eq!(hello.body["sender_id"], client.id.as_str());
    let reply = call(
        &app,
        &pro,
        Method::POST,
        &messages,
        Some(json!({"text": "Sure", "reply_to": hello.body["id"]})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);

    // The professional's list: the room with the last message, nothing unread
    // (the last one is theirs); the client has one unread.
    let list = call(&app, &pro, Method::GET, "/api/v1/rooms", None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["items"][0]["last_message"]["text"], "Sure");
    assert_eq!(list.body["items"][0]["unread_count"], 1);
    let list = call(&app, &client, Method::GET, "/api/v1/rooms", None).await;
    assert_eq!(list.body["items"][0]["unread_count"], 1);
    let read = call(
        &app,
        &client,
        Method::POST,
        &format!("/api/v1/rooms/{room}/read"),
        Some(json!({"up_to": reply.body["id"]})),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["unread_count"], 0);

    // History, newest first.
    let history = call(
        &app,
        &client,
        Method::GET,
        &format!("{messages}?limit=1"),
        None,
    )
    .await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert_eq!(history.body["items"][0]["text"], "Sure");
    let cursor = history.body["next_cursor"].as_str().unwrap();
    let older = call(
        &app,
        &client,
        Method::GET,
        &format!("{messages}?limit=1&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(older.body["items"][0]["text"], "Can we move Friday?");

    // A stranger cannot tell the room exists.
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/rooms/{room}"), None),
        (Method::GET, messages.clone(), None),
        (Method::POST, messages.clone(), Some(json!({"text": "hi"}))),
        (
            Method::POST,
            format!("/api/v1/rooms/{room}/read"),
            Some(json!({"up_to": reply.body["id"]})),
        ),
    ] {
        call(&app, &stranger, method, &path, body)
            .await
            .assert_problem(404, "room.not_found");
    }
}

#[tokio::test]
async fn message_rules_are_answered_with_clear_problems() {
    let app = TestApp::spawn().await;
    let (ana, bo) = (person(&app, "ana").await, person(&app, "bo").await);
    let room = call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"direct_with": bo.id})),
    )
    .await;
    let messages = format!(
        "/api/v1/rooms/{}/messages",
        room.body["id"].as_str().unwrap()
    );
    call(
        &app,
        &ana,
        Method::POST,
        &messages,
        Some(json!({"text": " \n "})),
    )
    .await
    .assert_problem(422, "request.validation_failed");
    call(
        &app,
        &ana,
        Method::POST,
        &messages,
        Some(json!({"text": "x".repeat(4001)})),
    )
    .await
    .assert_problem(422, "request.validation_failed");
    let sent = call(
        &app,
        &ana,
        Method::POST,
        &messages,
        Some(json!({"text": "typo"})),
    )
    .await;
    let one = format!("{messages}/{}", sent.body["id"].as_str().unwrap());
    call(
        &app,
        &bo,
        Method::PATCH,
        &one,
        Some(json!({"text": "mine now"})),
    )
    .await
    .assert_problem(403, "message.not_author");
    call(&app, &bo, Method::DELETE, &one, None)
        .await
        .assert_problem(403, "message.not_author");
    let edited = call(
        &app,
        &ana,
        Method::PATCH,
        &one,
        Some(json!({"text": "fixed"})),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["text"], "fixed");
    assert!(edited.body["edited_at"].is_string());
    assert_eq!(
        call(&app, &ana, Method::DELETE, &one, None).await.status,
        204
    );
    let history = call(&app, &bo, Method::GET, &messages, None).await;
    assert_eq!(history.body["items"][0]["deleted"], true);
    assert!(history.body["items"][0].get("text").is_none());
    call(
        &app,
        &ana,
        Method::PATCH,
        &one,
        Some(json!({"text": "back"})),
    )
    .await
    .assert_problem(409, "message.deleted");
    call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"direct_with": ana.id})),
    )
    .await
    .assert_problem(422, "request.validation_failed");
    call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"direct_with": "0193f1b2-7c1e-7aaa-9f00-1234567890ab"})),
    )
    .await
    .assert_problem(404, "user.not_found");
    call(&app, &ana, Method::POST, "/api/v1/rooms", Some(json!({})))
        .await
        .assert_problem(422, "request.validation_failed");
}

#[tokio::test]
async fn group_admins_manage_members_and_the_last_admin_hands_over() {
    let app = TestApp::spawn().await;
    let (ana, bo, cy) = (
        person(&app, "ana").await,
        person(&app, "bo").await,
        person(&app, "cy").await,
    );
    let created = call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"name": "Front desk", "members": [bo.id]})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["my_role"], "admin");
    assert_eq!(created.body["members"].as_array().unwrap().len(), 2);
    let room = created.body["id"].as_str().unwrap().to_owned();
    let members = format!("/api/v1/rooms/{room}/members");

    call(
        &app,
        &bo,
        Method::POST,
        &members,
        Some(json!({"user_id": cy.id})),
    )
    .await
    .assert_problem(403, "room.admin_required");
    let added = call(
        &app,
        &ana,
        Method::POST,
        &members,
        Some(json!({"user_id": cy.id})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["role"], "member");
    call(
        &app,
        &ana,
        Method::POST,
        &members,
        Some(json!({"user_id": cy.id})),
    )
    .await
    .assert_problem(409, "room.already_member");

    call(
        &app,
        &ana,
        Method::DELETE,
        &format!("{members}/{}", ana.id),
        None,
    )
    .await
    .assert_problem(409, "room.last_admin");
    let promoted = call(
        &app,
        &ana,
        Method::PATCH,
        &format!("{members}/{}", bo.id),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(
        call(
            &app,
            &ana,
            Method::DELETE,
            &format!("{members}/{}", ana.id),
            None
        )
        .await
        .status,
        204
    );
    call(
        &app,
        &ana,
        Method::GET,
        &format!("/api/v1/rooms/{room}"),
        None,
    )
    .await
    .assert_problem(404, "room.not_found");
    // Bo, now admin, removes Cy; Cy no longer sees the room.
    assert_eq!(
        call(
            &app,
            &bo,
            Method::DELETE,
            &format!("{members}/{}", cy.id),
            None
        )
        .await
        .status,
        204
    );
    call(
        &app,
        &cy,
        Method::GET,
        &format!("/api/v1/rooms/{room}/messages"),
        None,
    )
    .await
    .assert_problem(404, "room.not_found");
}

#[tokio::test]
async fn an_organizations_room_is_for_its_members() {
    let app = TestApp::spawn().await;
    let (owner, outsider) = (person(&app, "owner").await, person(&app, "outsider").await);
    let org = call(
        &app,
        &owner,
        Method::POST,
        "/api/v1/orgs",
        Some(json!({"name": "Clinic"})),
    )
    .await;
    assert_eq!(org.status, 201, "{}", org.text);
    let org_id = org.body["id"].as_str().unwrap();
    let room = call(
        &app,
        &owner,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"name": "Staff", "org_id": org_id})),
    )
    .await;
    assert_eq!(room.status, 201, "{}", room.text);
    assert_eq!(room.body["org_id"], org_id);
    call(
        &app,
        &owner,
        Method::POST,
        &format!(
            "/api/v1/rooms/{}/members",
            room.body["id"].as_str().unwrap()
        ),
        Some(json!({"user_id": outsider.id})),
    )
    .await
    .assert_problem(422, "room.not_org_member");
    call(
        &app,
        &outsider,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"name": "Spy", "org_id": org_id})),
    )
    .await
    .assert_problem(404, "org.not_found");
}

#[tokio::test]
async fn sending_is_limited_per_user() {
    let app = TestApp::spawn().await;
    let (ana, bo) = (person(&app, "ana").await, person(&app, "bo").await);
    let room = call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/rooms",
        Some(json!({"direct_with": bo.id})),
    )
    .await;
    let messages = format!(
        "/api/v1/rooms/{}/messages",
        room.body["id"].as_str().unwrap()
    );
    for i in 0..30 {
        let sent = call(
            &app,
            &ana,
            Method::POST,
            &messages,
            Some(json!({"text": format!("m{i}")})),
        )
        .await;
        assert_eq!(sent.status, 201, "message {i}: {}", sent.text);
    }
    // The quota refills one message every third of a second: on a slow
    // machine a few more may pass before the limit bites, never many.
    let mut limited = None;
    for _ in 0..10 {
        let reply = call(
            &app,
            &ana,
            Method::POST,
            &messages,
            Some(json!({"text": "one too many"})),
        )
        .await;
        if reply.status != 201 {
            limited = Some(reply);
            break;
        }
    }
    let limited = limited.expect("the limit bites within a few refills");
    limited.assert_problem(429, "rate_limit.exceeded");
    assert_eq!(limited.header("ratelimit-policy"), Some("30;w=10"));
    // Bo has his own quota; reading is not sending.
    let sent = call(
        &app,
        &bo,
        Method::POST,
        &messages,
        Some(json!({"text": "hi"})),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(
        call(&app, &ana, Method::GET, &messages, None).await.status,
        200
    );
}
