//! The rate limiter: 429 with headers, recovery, per-key counting, opt-out,
//! and one quota across gateways sharing Redis.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use trellis_kernel::Role;
use trellis_tests::{TestApp, TestRedis, send};

/// Sets one class's quota through the internal API.
async fn set_quota(app: &TestApp, key: &str, limit: u32, window_secs: u32) {
    let token = app.token_for(&[Role::Staff]);
    let reply = send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
            .json(&json!({ key: {"limit": limit, "window_secs": window_secs} })),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn over_the_limit_is_429_then_recovers_after_the_window() {
    let app = TestApp::spawn().await;
    set_quota(&app, "rate_limit.general", 2, 1).await;

    let first = send(app.get("/api/v1/anything")).await;
    assert_eq!(first.header("ratelimit-limit"), Some("2"));
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    assert_eq!(first.header("ratelimit-policy"), Some("2;w=1"));
    send(app.get("/api/v1/anything")).await;

    let limited = send(app.get("/api/v1/anything")).await;
    limited.assert_problem(429, "rate_limit.exceeded");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));

    // The window is one second: after it, requests pass again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let recovered = send(app.get("/api/v1/anything")).await;
    assert_eq!(recovered.status, 404, "{}", recovered.text);
}

#[tokio::test]
async fn users_are_counted_apart_from_their_ip() {
    let app = TestApp::spawn().await;
    set_quota(&app, "rate_limit.general", 1, 60).await;
    let alice = app.token_for(&[]);
    let bob = app.token_for(&[]);
    assert_eq!(
        send(app.get("/api/v1/x").bearer_auth(&alice)).await.status,
        404
    );
    send(app.get("/api/v1/x").bearer_auth(&alice))
        .await
        .assert_problem(429, "rate_limit.exceeded");
    // Bob, from the same IP, has his own counter; so does the anonymous IP.
    assert_eq!(
        send(app.get("/api/v1/x").bearer_auth(&bob)).await.status,
        404
    );
    assert_eq!(send(app.get("/api/v1/x")).await.status, 404);
}

#[tokio::test]
async fn forwarded_for_only_counts_from_trusted_proxies() {
    let untrusted = TestApp::spawn().await;
    set_quota(&untrusted, "rate_limit.general", 1, 60).await;
    let from = |app: &TestApp, ip: &str| app.get("/api/v1/x").header("x-forwarded-for", ip);
    assert_eq!(send(from(&untrusted, "198.51.100.1")).await.status, 404);
    // Spoofing another address does not buy a fresh counter.
    send(from(&untrusted, "198.51.100.2"))
        .await
        .assert_problem(429, "rate_limit.exceeded");

    let proxied = TestApp::spawn_with(&[("TRELLIS_TRUSTED_PROXIES", "127.0.0.1")]).await;
    set_quota(&proxied, "rate_limit.general", 1, 60).await;
    assert_eq!(send(from(&proxied, "198.51.100.1")).await.status, 404);
    assert_eq!(send(from(&proxied, "198.51.100.2")).await.status, 404);
    send(from(&proxied, "198.51.100.1"))
        .await
        .assert_problem(429, "rate_limit.exceeded");
}

#[tokio::test]
async fn health_probes_are_never_limited_and_limits_can_be_switched_off() {
    let app = TestApp::spawn().await;
    set_quota(&app, "rate_limit.general", 1, 60).await;
    for _ in 0..5 {
        assert_eq!(send(app.get("/healthz")).await.status, 200);
    }

    let off = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    set_quota(&off, "rate_limit.general", 1, 60).await;
    for _ in 0..3 {
        let reply = send(off.get("/api/v1/x")).await;
        assert_eq!(reply.status, 404);
        assert!(reply.header("ratelimit-limit").is_none());
    }
}

#[tokio::test]
async fn every_auth_class_answers_429_over_its_quota() {
    let app = TestApp::spawn().await;
    for (class, path, body) in [
        (
            "register",
            "/api/v1/auth/register",
            json!({"email": "x@example.com", "password": "short"}),
        ),
        (
            "login",
            "/api/v1/auth/login",
            json!({"email": "x@example.com", "password": "wrong password"}),
        ),
        ("otp", "/api/v1/auth/otp/request", json!({"phone": "12"})),
        (
            "password_reset",
            "/api/v1/auth/password-reset",
            json!({"email": "x@example.com"}),
        ),
        ("anonymous", "/api/v1/auth/anonymous", json!({})),
        ("booking", "/api/v1/booking/somebody", json!({})),
    ] {
        set_quota(&app, &format!("rate_limit.{class}"), 1, 60).await;
        let first = send(app.post_json(path, &body)).await;
        assert_ne!(first.status, 429, "{class}: first request passes");
        let second = send(app.post_json(path, &body)).await;
        second.assert_problem(429, "rate_limit.exceeded");
        assert!(second.header("retry-after").is_some(), "{class}");
    }
    // The internal sign-in shares the login class.
    let token = app.token_for(&[Role::Staff]);
    let _ = token;
    let internal = send(
        app.internal(Method::POST, "/internal/auth/login")
            .json(&json!({"email": "x@example.com", "password": "wrong password"})),
    )
    .await;
    internal.assert_problem(429, "rate_limit.exceeded");
}

#[tokio::test]
async fn gateways_sharing_redis_share_one_quota() {
    let Some(redis) = TestRedis::for_test("gateways_sharing_redis_share_one_quota") else {
        return;
    };
    let a = TestApp::spawn_with(&redis.overrides()).await;
    set_quota(&a, "rate_limit.general", 3, 60).await;
    // Started after the change, so it reads the quota from the database.
    let b = a.sibling().await;
    let user = a.token_for(&[]);

    // One client, its requests spread over both: three in all, not per gateway.
    let mut remaining = Vec::new();
    for gateway in [&a, &b, &a] {
        let reply = send(gateway.get("/api/v1/x").bearer_auth(&user)).await;
        assert_eq!(reply.status, 404, "{}", reply.text);
        remaining.push(reply.header("ratelimit-remaining").map(str::to_owned));
    }
    assert_eq!(
        remaining,
        [Some("2"), Some("1"), Some("0")].map(|r| r.map(str::to_owned))
    );
    for gateway in [&b, &a] {
        let limited = send(gateway.get("/api/v1/x").bearer_auth(&user)).await;
        limited.assert_problem(429, "rate_limit.exceeded");
        // One request back every 20 s (less the time these requests took).
        let retry: u64 = limited
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        assert!((18..=20).contains(&retry), "retry-after {retry}");
    }
    // Another user still has a whole quota on either gateway.
    let other = a.token_for(&[]);
    assert_eq!(
        send(b.get("/api/v1/x").bearer_auth(&other)).await.status,
        404
    );
    assert_eq!(
        a.state.metrics.rate_limit_fail_opens("general"),
        0,
        "Redis answered every time"
    );
}

#[tokio::test]
async fn gateways_without_redis_count_apart() {
    // The in-process default: the same client gets each gateway's quota.
    let a = TestApp::spawn().await;
    set_quota(&a, "rate_limit.general", 1, 60).await;
    let b = a.sibling().await;
    let user = a.token_for(&[]);
    for gateway in [&a, &b] {
        assert_eq!(
            send(gateway.get("/api/v1/x").bearer_auth(&user))
                .await
                .status,
            404
        );
    }
    send(a.get("/api/v1/x").bearer_auth(&user))
        .await
        .assert_problem(429, "rate_limit.exceeded");
}

#[tokio::test]
async fn an_unreachable_redis_fails_open_and_says_so_in_metrics() {
    // No server needed: nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1);
    let url = format!("redis://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&[("REDIS_URL", &url)]).await;
    set_quota(&app, "rate_limit.general", 1, 60).await;
    for _ in 0..3 {
        let reply = send(app.get("/api/v1/x")).await;
        assert_eq!(reply.status, 404, "not limited: {}", reply.text);
    }
    let metrics = send(app.internal(Method::GET, "/metrics")).await;
    assert!(
        metrics
            .text
            .contains("trellis_rate_limit_fail_open_total{class=\"general\"} 3"),
        "{}",
        metrics.text
    );
}
