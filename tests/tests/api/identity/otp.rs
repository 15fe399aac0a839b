//! Phone sign-in codes.

use serde_json::json;
use trellis_tests::{TestApp, send, unique_phone};

#[tokio::test]
async fn a_code_signs_in_and_creates_the_user_once() {
    let app = TestApp::spawn_with(&[("TRELLIS_OTP_COOLDOWN", "0s")]).await;
    let phone = unique_phone();
    let sent = send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": phone}))).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["expires_in"], 300);
    let code = app.sms_code(&phone).await;
    let signed_in = send(app.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": phone, "code": code}),
    ))
    .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let user = signed_in.body["user"]["id"].clone();

    // A used code is dead; a new code signs the same user in.
    let reused = send(app.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": phone, "code": code}),
    ))
    .await;
    reused.assert_problem(401, "otp.expired");
    send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": phone}))).await;
    let again = send(app.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": phone, "code": app.nth_sms_code(&phone, 2).await}),
    ))
    .await;
    assert_eq!(again.body["user"]["id"], user);
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_tries() {
    let app = TestApp::spawn().await;
    let phone = unique_phone();
    send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": phone}))).await;
    let code = app.sms_code(&phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in 1..=4 {
        let reply = send(app.post_json(
            "/api/v1/auth/otp/verify",
            &json!({"phone": phone, "code": wrong}),
        ))
        .await;
        reply.assert_problem(401, "otp.invalid_code");
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    let fifth = send(app.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": phone, "code": wrong}),
    ))
    .await;
    fifth.assert_problem(401, "otp.expired");
    let right_too_late = send(app.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": phone, "code": code}),
    ))
    .await;
    right_too_late.assert_problem(401, "otp.expired");
}

#[tokio::test]
async fn codes_have_a_cooldown_and_an_hourly_cap() {
    let app = TestApp::spawn().await; // 60 s cooldown
    let phone = unique_phone();
    assert_eq!(
        send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": phone})))
            .await
            .status,
        200
    );
    let cooling = send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": phone}))).await;
    cooling.assert_problem(429, "otp.cooldown");
    let retry: u64 = cooling
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!((59..=60).contains(&retry), "retry-after {retry}");

    let capped = TestApp::spawn_with(&[
        ("TRELLIS_OTP_COOLDOWN", "0s"),
        ("TRELLIS_OTP_HOURLY_CAP", "3"),
    ])
    .await;
    let phone = unique_phone();
    for _ in 0..3 {
        assert_eq!(
            send(capped.post_json("/api/v1/auth/otp/request", &json!({"phone": phone})))
                .await
                .status,
            200
        );
    }
    let over = send(capped.post_json("/api/v1/auth/otp/request", &json!({"phone": phone}))).await;
    over.assert_problem(429, "otp.hourly_cap");
    assert!(over.header("retry-after").is_some());
}

#[tokio::test]
async fn phones_must_be_international() {
    let app = TestApp::spawn().await;
    let reply =
        send(app.post_json("/api/v1/auth/otp/request", &json!({"phone": "912345678"}))).await;
    reply.assert_problem(422, "request.validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "phone");
}
