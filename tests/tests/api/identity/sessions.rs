//! Sessions and refresh-token families: rotation, reuse detection, the grace
//! window, listing and revoking, and revocations reaching other gateways.

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{PASSWORD, Reply, TestApp, TestRedis, eventually, send, unique_email};

async fn refresh(app: &TestApp, token: &Value) -> Reply {
    send(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": token}))).await
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    let app = TestApp::spawn_with(&[("TRELLIS_REFRESH_REUSE_GRACE", "0s")]).await;
    let first = app.register(&unique_email("rot"), PASSWORD).await;

    let second = refresh(&app, &first["refresh_token"]).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(second.body["refresh_token"], first["refresh_token"]);
    let third = refresh(&app, &second.body["refresh_token"]).await;
    assert_eq!(third.status, 200);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The first token comes back: someone copied it. The whole family dies.
    let reuse = refresh(&app, &first["refresh_token"]).await;
    reuse.assert_problem(401, "auth.refresh_token_reused");
    refresh(&app, &third.body["refresh_token"])
        .await
        .assert_problem(401, "auth.invalid_refresh_token");
    let access = third.body["access_token"].as_str().unwrap_or_default();
    send(app.authed(Method::GET, "/api/v1/users/me", access))
        .await
        .assert_problem(401, "auth.session_ended");
}

#[tokio::test]
async fn concurrent_refreshes_within_the_grace_window_both_succeed() {
    let app = TestApp::spawn().await; // 10 s grace
    let tokens = app.register(&unique_email("grace"), PASSWORD).await;
    let (a, b) = tokio::join!(
        refresh(&app, &tokens["refresh_token"]),
        refresh(&app, &tokens["refresh_token"])
    );
    assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.text, b.text);
    // Both successors work: the session was not revoked.
    assert_eq!(refresh(&app, &a.body["refresh_token"]).await.status, 200);
    assert_eq!(refresh(&app, &b.body["refresh_token"]).await.status, 200);
}

#[tokio::test]
async fn unknown_refresh_tokens_are_refused() {
    let app = TestApp::spawn().await;
    refresh(&app, &json!("made-up-token"))
        .await
        .assert_problem(401, "auth.invalid_refresh_token");
    let empty = refresh(&app, &json!("")).await;
    empty.assert_problem(422, "request.validation_failed");
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_individually() {
    let app = TestApp::spawn().await;
    let email = unique_email("devices");
    let phone = app.register(&email, PASSWORD).await;
    let laptop = send(
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .header("user-agent", "Laptop Browser/1.0"),
    )
    .await
    .body;
    let token = laptop["access_token"].as_str().unwrap_or_default();

    let list = send(app.authed(Method::GET, "/api/v1/auth/sessions", token)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Laptop Browser/1.0");
    assert!(
        current[0]["ip"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("127."))
    );
    let other = items
        .iter()
        .find(|s| s["current"] == false)
        .map(|s| s["id"].clone())
        .unwrap_or_default();

    let revoked = send(app.authed(
        Method::DELETE,
        &format!("/api/v1/auth/sessions/{}", other.as_str().unwrap_or("")),
        token,
    ))
    .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    refresh(&app, &phone["refresh_token"])
        .await
        .assert_problem(401, "auth.invalid_refresh_token");
    let phone_access = phone["access_token"].as_str().unwrap_or_default();
    send(app.authed(Method::GET, "/api/v1/users/me", phone_access))
        .await
        .assert_problem(401, "auth.session_ended");

    // Someone else's session, or a made-up one, is "not found".
    let stranger = app.access_token(&unique_email("stranger")).await;
    let mine = items
        .iter()
        .find(|s| s["current"] == true)
        .map(|s| s["id"].clone())
        .unwrap_or_default();
    let path = format!("/api/v1/auth/sessions/{}", mine.as_str().unwrap_or(""));
    send(app.authed(Method::DELETE, &path, &stranger))
        .await
        .assert_problem(404, "session.not_found");
    send(app.authed(Method::DELETE, "/api/v1/auth/sessions/not-a-uuid", token))
        .await
        .assert_problem(400, "request.invalid_parameter");
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = TestApp::spawn().await;
    let tokens = app.register(&unique_email("bye"), PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let out = send(app.authed(Method::POST, "/api/v1/auth/logout", access)).await;
    assert_eq!(out.status, 204, "{}", out.text);
    send(app.authed(Method::GET, "/api/v1/users/me", access))
        .await
        .assert_problem(401, "auth.session_ended");
    refresh(&app, &tokens["refresh_token"])
        .await
        .assert_problem(401, "auth.invalid_refresh_token");
}

#[tokio::test]
async fn a_session_ended_on_one_gateway_is_refused_by_another_at_once() {
    let Some(redis) =
        TestRedis::for_test("a_session_ended_on_one_gateway_is_refused_by_another_at_once")
    else {
        return;
    };
    let a = TestApp::spawn_with(&redis.overrides()).await;
    let b = a.sibling().await;
    eventually("both gateways to hear revocation notices", || async {
        (a.state.revocations.is_listening() && b.state.revocations.is_listening()).then_some(())
    })
    .await;
    let tokens = a.register(&unique_email("roaming"), PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let session = b
        .state
        .tokens
        .verify(access)
        .map(|p| p.session_id)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        send(b.authed(Method::GET, "/api/v1/users/me", access))
            .await
            .status,
        200
    );

    let out = send(a.authed(Method::POST, "/api/v1/auth/logout", access)).await;
    assert_eq!(out.status, 204, "{}", out.text);
    // Gateway B learns of it from A's notice, well before its own database
    // poll (every 2 s) would have told it.
    let ended = std::time::Instant::now();
    let deadline = std::time::Duration::from_millis(100);
    while !b.state.revocations.is_revoked(session) {
        assert!(
            ended.elapsed() < deadline,
            "B still accepts the session {:?} after it ended on A",
            ended.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    send(b.authed(Method::GET, "/api/v1/users/me", access))
        .await
        .assert_problem(401, "auth.session_ended");
}
