//! `/internal/config`: staff-only runtime settings with validation.

use reqwest::Method;
use serde_json::json;
use trellis_kernel::Role;
use trellis_tests::{Reply, TestApp, send};

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
