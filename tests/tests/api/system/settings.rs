//! `/internal/config`: staff-only runtime settings with validation.

use reqwest::Method;
use serde_json::json;
use trellis_kernel::Role;
use trellis_tests::{Reply, TestApp, TestRedis, eventually, send};

/// The setting `key` in a listing.
fn setting(listing: &Reply, key: &str) -> serde_json::Value {
    listing.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|s| s["key"] == key))
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn staff_list_and_change_settings() {
    let app = TestApp::spawn().await;
    let token = app.token_for(&[Role::Staff]);

    let listed = send(
        app.internal(Method::GET, "/internal/config")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let general = setting(&listed, "rate_limit.general");
    assert_eq!(general["value"], json!({"limit": 60, "window_secs": 60}));
    assert_eq!(general["default"], general["value"]);
    assert!(general["updated_at"].is_null());

    let changed = send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
            .json(&json!({"rate_limit.general": {"limit": 100, "window_secs": 60}})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let general = setting(&changed, "rate_limit.general");
    assert_eq!(general["value"]["limit"], 100);
    assert!(general["updated_at"].is_string());
    assert!(general["updated_by"].is_string());
}

#[tokio::test]
async fn invalid_or_unknown_settings_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(&[Role::Admin]);
    let patch = |body: serde_json::Value| {
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
            .json(&body)
    };

    // One valid and one invalid value: 422 and neither is stored.
    let reply = send(patch(json!({
        "rate_limit.general": {"limit": 5, "window_secs": 60},
        "rate_limit.login": {"limit": 0, "window_secs": 60},
    })))
    .await;
    reply.assert_problem(422, "request.validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "rate_limit.login");

    let unknown = send(patch(json!({"no.such.key": 1}))).await;
    unknown.assert_problem(422, "request.validation_failed");
    assert_eq!(unknown.body["errors"][0]["field"], "no.such.key");

    let wrong_shape = send(patch(json!({"rate_limit.general": "lots"}))).await;
    wrong_shape.assert_problem(422, "request.validation_failed");

    let listed = send(
        app.internal(Method::GET, "/internal/config")
            .bearer_auth(&token),
    )
    .await;
    let stored: Vec<_> = listed.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| !s["updated_at"].is_null())
        .collect();
    assert!(stored.is_empty(), "nothing was written: {stored:?}");
}

#[tokio::test]
async fn settings_need_a_staff_token() {
    let app = TestApp::spawn().await;
    let user = app.token_for(&[]);
    let reply = send(
        app.internal(Method::GET, "/internal/config")
            .bearer_auth(&user),
    )
    .await;
    reply.assert_problem(403, "auth.role_required");
}

/// What `gateway` currently applies as the general rate limit, through its
/// settings cache (not the listing, which always reads the database).
async fn general_limit(gateway: &TestApp) -> u32 {
    gateway
        .state
        .settings
        .get(&trellis_gateway::middleware::rate_limit::GENERAL)
        .await
        .limit
}

async fn change_general_limit(gateway: &TestApp, limit: u32) {
    let token = gateway.token_for(&[Role::Staff]);
    let changed = send(
        gateway
            .internal(Method::PATCH, "/internal/config")
            .bearer_auth(&token)
            .json(&json!({"rate_limit.general": {"limit": limit, "window_secs": 60}})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
}

#[tokio::test]
async fn a_setting_changed_on_one_gateway_is_applied_by_another_at_once() {
    let Some(redis) =
        TestRedis::for_test("a_setting_changed_on_one_gateway_is_applied_by_another_at_once")
    else {
        return;
    };
    // A cache that would hide the change for an hour without the notice.
    let mut overrides = redis.overrides().to_vec();
    overrides.push(("TRELLIS_SETTINGS_CACHE_TTL", "1h"));
    let a = TestApp::spawn_with(&overrides).await;
    let b = a.sibling().await;
    eventually("both gateways to hear notices", || async {
        (a.state.notices.is_listening() && b.state.notices.is_listening()).then_some(())
    })
    .await;
    assert_eq!(general_limit(&b).await, 60, "B has cached the default");

    change_general_limit(&a, 100).await;
    let changed = std::time::Instant::now();
    let deadline = std::time::Duration::from_millis(100);
    while general_limit(&b).await != 100 {
        assert!(
            changed.elapsed() < deadline,
            "B still applies the old limit {:?} after A changed it",
            changed.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert_eq!(general_limit(&a).await, 100, "A applies its own change");
}

#[tokio::test]
async fn without_redis_another_gateway_applies_a_change_when_its_cache_expires() {
    let a = TestApp::spawn_with(&[("TRELLIS_SETTINGS_CACHE_TTL", "2s")]).await;
    let b = a.sibling().await;
    assert_eq!(general_limit(&b).await, 60, "B has cached the default");
    let cached = std::time::Instant::now();

    change_general_limit(&a, 100).await;
    assert_eq!(
        general_limit(&a).await,
        100,
        "A applies its own change at once"
    );
    let stale = general_limit(&b).await;
    // (On a loaded machine the change itself may outlast the TTL.)
    if cached.elapsed() < std::time::Duration::from_millis(1500) {
        assert_eq!(stale, 60, "B is within its cache's TTL");
    }
    eventually("B's cache to expire", || async {
        (general_limit(&b).await == 100).then_some(())
    })
    .await;
}
