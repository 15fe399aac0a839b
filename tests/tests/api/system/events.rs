//! The event outbox end to end: delivery survives a crash, failures are
//! retried and dead-lettered, and staff can see it all.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use trellis_kernel::Role;
use trellis_tests::{PASSWORD, TestApp, mail, send, unique_email};

/// Staff's view of the outbox, filtered by status.
async fn events(app: &TestApp, status: &str) -> Vec<Value> {
    let staff = app.token_for(&[Role::Staff]);
    let reply = send(
        app.internal(Method::GET, &format!("/internal/events?status={status}"))
            .bearer_auth(staff),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_email_committed_before_a_crash_arrives_exactly_once_after_restart() {
    // With an hour between passes, this process never delivers anything.
    let app = TestApp::spawn_with(&[("TRELLIS_OUTBOX_POLL", "1h")]).await;
    let email = unique_email("crash");
    app.register(&email, PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mail::mails_to(&app.mail_dir, &email).is_empty());
    let pending = events(&app, "pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["kind"], "notification.requested");
    assert!(
        pending[0].get("payload").is_none(),
        "a one-time link is never shown: {pending:?}"
    );

    let app = app
        .crash_and_restart(&[("TRELLIS_OUTBOX_POLL", "50ms")])
        .await;
    app.mail(&email, "Confirm").await;
    // Many more passes: still exactly one email.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mail::mails_to(&app.mail_dir, &email).len(), 1);
    let delivered = events(&app, "delivered").await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0]["attempts"], 1);
    assert!(delivered[0]["delivered_at"].is_string());
    assert!(events(&app, "pending").await.is_empty());
}

#[tokio::test]
async fn a_failing_delivery_is_retried_then_dead_and_listed_for_staff() {
    let app = TestApp::spawn_with(&[
        // Nothing listens there: every send fails as if the server were down.
        ("SMTP_URL", "smtp://127.0.0.1:9"),
        ("TRELLIS_OUTBOX_POLL", "50ms"),
        ("TRELLIS_NOTIFY_POLL", "50ms"),
        ("TRELLIS_NOTIFY_RETRY_BASE", "50ms"),
        ("TRELLIS_NOTIFY_MAX_ATTEMPTS", "3"),
    ])
    .await;
    app.register(&unique_email("bounce"), PASSWORD).await;
    let staff = app.token_for(&[Role::Staff]);
    let mut dead = Vec::new();
    for _ in 0..200 {
        let reply = send(
            app.internal(Method::GET, "/internal/notifications?status=dead")
                .bearer_auth(&staff),
        )
        .await;
        dead = reply.body["items"].as_array().cloned().unwrap_or_default();
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dead.len(), 1, "the email was given up on");
    assert_eq!(dead[0]["kind"], "email_verification");
    assert_eq!(dead[0]["attempts"], 3, "{:?}", dead[0]);
    assert!(
        dead[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    // The event itself was handled: its delivery is the notification's business.
    assert_eq!(events(&app, "delivered").await.len(), 1);
    assert!(events(&app, "pending").await.is_empty());

    // Only staff see the outbox, and the filter is checked.
    let stranger = app.token_for(&[]);
    send(
        app.internal(Method::GET, "/internal/events")
            .bearer_auth(stranger),
    )
    .await
    .assert_problem(403, "auth.role_required");
    send(
        app.internal(Method::GET, "/internal/events?status=lost")
            .bearer_auth(staff),
    )
    .await
    .assert_problem(400, "request.invalid_parameter");
}
