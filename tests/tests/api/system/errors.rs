//! Every error a client can provoke is a problem document, never a 500.

use reqwest::Method;
use serde_json::json;
use trellis_kernel::{
    Role,
    auth::Claims,
    id::{SessionId, UserId},
};
use trellis_tests::{TestApp, send};

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = TestApp::spawn().await;
    send(app.get("/api/v1/does-not-exist"))
        .await
        .assert_problem(404, "route.not_found");
    send(app.request(Method::DELETE, "/healthz"))
        .await
        .assert_problem(405, "route.method_not_allowed");
}

#[tokio::test]
async fn malformed_json_wrong_types_and_content_types() {
    let app = TestApp::spawn().await;
    let token = app.token_for(&[Role::Staff]);
    let patch = || {
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
    };

    let malformed = send(
        patch()
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    malformed.assert_problem(400, "request.invalid_body");

    let wrong_type = send(patch().json(&json!(["an", "array"]))).await;
    wrong_type.assert_problem(400, "request.invalid_body");

    let not_json = send(patch().header("content-type", "text/plain").body("hello")).await;
    not_json.assert_problem(415, "request.unsupported_media_type");

    let no_type = send(patch().body("{}")).await;
    no_type.assert_problem(415, "request.unsupported_media_type");
}

#[tokio::test]
async fn oversize_bodies_are_refused_before_reading() {
    let app = TestApp::spawn_with(&[("TRELLIS_BODY_LIMIT", "2048")]).await;
    let token = app.token_for(&[Role::Staff]);
    let big = json!({ "rate_limit.general": "x".repeat(4096) });
    let reply = send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
            .json(&big),
    )
    .await;
    reply.assert_problem(413, "request.body_too_large");

    // A chunked body (no Content-Length) is capped too.
    let stream = futures_stream(vec![b'{'; 4096]);
    let chunked = send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(stream),
    )
    .await;
    chunked.assert_problem(413, "request.body_too_large");
}

/// 413 and 415 come before any handler runs, on every operation with a JSON
/// body, and each of them documents both: public, signed-in and optionally
/// signed-in operations alike (the contract check holds every reply to the spec).
#[tokio::test]
async fn every_json_body_operation_answers_413_and_415_as_documented() {
    let app = TestApp::spawn_with(&[("TRELLIS_BODY_LIMIT", "2048")]).await;
    let token = app.token_for(&[]);
    let big = json!({ "name": "x".repeat(4096) });
    let operations = [
        (Method::POST, "/api/v1/auth/register", None),
        (Method::POST, "/api/v1/booking/no-such-professional", None),
        (Method::POST, "/api/v1/orgs", Some(&token)),
        (Method::PATCH, "/api/v1/users/me", Some(&token)),
    ];
    for (method, path, token) in operations {
        let request = || {
            let request = app.request(method.clone(), path);
            match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        };
        // Refused by size before anything else is looked at.
        send(request().json(&big))
            .await
            .assert_problem(413, "request.body_too_large");
        // The right shape under another media type, or under none.
        send(
            request()
                .header("content-type", "application/x-www-form-urlencoded")
                .body("name=x"),
        )
        .await
        .assert_problem(415, "request.unsupported_media_type");
        send(request().body("{}"))
            .await
            .assert_problem(415, "request.unsupported_media_type");
    }
}

fn futures_stream(bytes: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(512).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn missing_expired_and_tampered_tokens_are_401() {
    let app = TestApp::spawn().await;
    let get = || app.internal(Method::GET, "/internal/config");

    let missing = send(get()).await;
    missing.assert_problem(401, "auth.missing_token");

    let garbage = send(get().bearer_auth("not-a-token")).await;
    garbage.assert_problem(401, "auth.invalid_token");
    assert_eq!(garbage.header("www-authenticate"), Some("Bearer"));

    let now = chrono::Utc::now().timestamp();
    let expired = app.sign(&Claims {
        sub: UserId::new(),
        sid: SessionId::new(),
        roles: vec!["staff".into()],
        anon: false,
        iat: now - 3600,
        exp: now - 60,
        iss: "trellis".into(),
        aud: "trellis-api".into(),
    });
    send(get().bearer_auth(&expired))
        .await
        .assert_problem(401, "auth.token_expired");

    let mut tampered = app.token_for(&[Role::Staff]);
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    send(get().bearer_auth(&tampered))
        .await
        .assert_problem(401, "auth.invalid_token");

    let foreign_audience = app.sign(&Claims {
        sub: UserId::new(),
        sid: SessionId::new(),
        roles: vec!["staff".into()],
        anon: false,
        iat: now,
        exp: now + 600,
        iss: "trellis".into(),
        aud: "someone-else".into(),
    });
    send(get().bearer_auth(&foreign_audience))
        .await
        .assert_problem(401, "auth.invalid_token");
}
