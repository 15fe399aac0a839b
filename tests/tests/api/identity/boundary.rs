//! Parse at the boundary: an email or phone its type refuses is a 422 naming
//! the field before anything is read or written. Sign-in and reset requests
//! keep their uniform answers whatever was typed.

use reqwest::Method;
use serde_json::json;
use trellis_tests::{PASSWORD, TestApp, send, unique_email};

#[tokio::test]
async fn refused_emails_name_their_field_and_write_nothing() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let email = unique_email("boundary");
    let refused = send(app.post_json(
        "/api/v1/auth/register",
        &json!({"email": format!("{email} extra"), "password": PASSWORD}),
    ))
    .await;
    refused.assert_problem(422, "request.validation_failed");
    assert_eq!(
        refused.body["errors"],
        json!([{"field": "email", "message": "must be a valid email address"}])
    );

    let owner = app.register(&email, PASSWORD).await;
    let token = owner["access_token"].as_str().unwrap_or_default();
    let org = send(
        app.authed(Method::POST, "/api/v1/orgs", token)
            .json(&json!({"name": "Studio"})),
    )
    .await;
    assert_eq!(org.status, 201, "{}", org.text);
    let members = format!(
        "/api/v1/orgs/{}/members",
        org.body["id"].as_str().unwrap_or_default()
    );
    let add = send(
        app.authed(Method::POST, &members, token)
            .json(&json!({"email": "not an email", "role": "member"})),
    )
    .await;
    add.assert_problem(422, "request.validation_failed");
    assert_eq!(add.body["errors"][0]["field"], "email");
    let listed = send(app.authed(Method::GET, &members, token)).await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.text
    );

    // Sign-in still fails one way: a malformed address is 401 like an unknown one.
    send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": "not an email", "password": PASSWORD}),
    ))
    .await
    .assert_problem(401, "auth.invalid_credentials");

    // Profile phone and zone: both named; the profile is unchanged.
    let patch = send(app.authed(Method::PATCH, "/api/v1/users/me", token).json(
        &json!({"name": "Changed", "phone": "+1 555 CALL NOW", "time_zone": "Europe/Lisboa"}),
    ))
    .await;
    patch.assert_problem(422, "request.validation_failed");
    let named: Vec<_> = patch.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(named, [json!("phone"), json!("time_zone")]);
    let me = send(app.authed(Method::GET, "/api/v1/users/me", token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["name"], "Test User", "{}", me.text);
    assert_eq!(me.body.get("phone"), None, "{}", me.text);
}
