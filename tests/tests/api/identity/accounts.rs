//! Accounts: registration, sign-in, email links, profile, passwords, anonymous users.

use reqwest::Method;
use serde_json::json;
use trellis_tests::{PASSWORD, TestApp, send, unique_email};

#[tokio::test]
async fn register_then_login_and_refuse_duplicates() {
    let app = TestApp::spawn().await;
    let email = unique_email("ana");
    let body = app.register(&email, PASSWORD).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["email"], email);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 43)
    );

    let dup = send(app.post_json(
        "/api/v1/auth/register",
        &json!({"email": email.to_uppercase(), "password": PASSWORD}),
    ))
    .await;
    dup.assert_problem(409, "user.email_taken");

    let login = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    ))
    .await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.body["user"]["id"], body["user"]["id"]);
}

#[tokio::test]
async fn weak_passwords_are_refused_per_field() {
    let app = TestApp::spawn().await;
    let email = unique_email("weak");
    for (password, why) in [
        ("short", "too short"),
        ("password123", "common"),
        (email.as_str(), "the email itself"),
    ] {
        let reply = send(app.post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": password}),
        ))
        .await;
        reply.assert_problem(422, "request.validation_failed");
        assert_eq!(
            reply.body["errors"][0]["field"], "password",
            "{why}: {}",
            reply.text
        );
    }
    let bad_email = send(app.post_json(
        "/api/v1/auth/register",
        &json!({"email": "nope", "password": PASSWORD}),
    ))
    .await;
    bad_email.assert_problem(422, "request.validation_failed");
    assert_eq!(bad_email.body["errors"][0]["field"], "email");
}

#[tokio::test]
async fn login_failures_look_the_same_whether_or_not_the_email_exists() {
    let app = TestApp::spawn().await;
    let email = unique_email("known");
    app.register(&email, PASSWORD).await;
    let wrong_password = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": "not the password"}),
    ))
    .await;
    let unknown_email = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": unique_email("ghost"), "password": "not the password"}),
    ))
    .await;
    wrong_password.assert_problem(401, "auth.invalid_credentials");
    unknown_email.assert_problem(401, "auth.invalid_credentials");
    assert_eq!(wrong_password.body, unknown_email.body);
}

#[tokio::test]
async fn the_verification_email_arrives_over_smtp_and_its_link_works_once() {
    let app = TestApp::spawn().await;
    let email = unique_email("verify");
    let token = app.register(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mail = app.mail(&email, "Confirm your email").await;
    assert!(
        mail.subject.contains("Confirm your email"),
        "{}",
        mail.subject
    );
    let link = mail.link_token().expect("a link with a token");
    let html = mail.html.as_deref().expect("an HTML part beside the text");
    assert!(
        html.contains(&format!("token={link}")) && html.contains("</html>"),
        "the HTML part carries the same link: {html}"
    );

    let profile = send(app.authed(Method::GET, "/api/v1/users/me", &token)).await;
    assert_eq!(profile.body["email_verified"], false);

    let verified = send(app.post_json("/api/v1/auth/verify-email", &json!({"token": link}))).await;
    assert_eq!(verified.status, 204, "{}", verified.text);
    let profile = send(app.authed(Method::GET, "/api/v1/users/me", &token)).await;
    assert_eq!(profile.body["email_verified"], true);

    let again = send(app.post_json("/api/v1/auth/verify-email", &json!({"token": link}))).await;
    again.assert_problem(422, "auth.invalid_link");
    // Proving the address is what welcomes the user, once.
    app.mail(&email, "Welcome to Trellis").await;
}

#[tokio::test]
async fn password_reset_never_tells_whether_an_account_exists() {
    let app = TestApp::spawn().await;
    let ghost = unique_email("ghost");
    let reply = send(app.post_json("/api/v1/auth/password-reset", &json!({"email": ghost}))).await;
    assert_eq!(reply.status, 202);
    let email = unique_email("reset");
    app.register(&email, PASSWORD).await;
    let reply = send(app.post_json("/api/v1/auth/password-reset", &json!({"email": email}))).await;
    assert_eq!(reply.status, 202);
    let garbage = send(app.post_json(
        "/api/v1/auth/password-reset",
        &json!({"email": "not an email"}),
    ))
    .await;
    assert_eq!(garbage.status, 202);

    app.mail(&email, "Reset").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        trellis_tests::mail::mails_to(&app.mail_dir, &ghost).is_empty(),
        "nothing is sent to unknown addresses"
    );
}

#[tokio::test]
async fn password_reset_link_sets_the_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let email = unique_email("reset");
    let tokens = app.register(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap_or_default();
    send(app.post_json("/api/v1/auth/password-reset", &json!({"email": email}))).await;
    let mail = app.mail(&email, "Reset").await;
    assert!(mail.subject.contains("Reset"), "{}", mail.subject);
    let link = mail.link_token().expect("a reset token");

    // A weak new password is refused without burning the link.
    let weak = send(app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": link, "new_password": "short"}),
    ))
    .await;
    weak.assert_problem(422, "request.validation_failed");

    let new_password = "a brand new passphrase";
    let done = send(app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": link, "new_password": new_password}),
    ))
    .await;
    assert_eq!(done.status, 204, "{}", done.text);

    // Every session ended: the old refresh token and access token stop working.
    let refresh = send(app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": tokens["refresh_token"]}),
    ))
    .await;
    refresh.assert_problem(401, "auth.invalid_refresh_token");
    send(app.authed(Method::GET, "/api/v1/users/me", access))
        .await
        .assert_problem(401, "auth.session_ended");

    let old = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    ))
    .await;
    old.assert_problem(401, "auth.invalid_credentials");
    let new = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": new_password}),
    ))
    .await;
    assert_eq!(new.status, 200);

    let reused = send(app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": link, "new_password": "yet another passphrase"}),
    ))
    .await;
    reused.assert_problem(422, "auth.invalid_link");
}

#[tokio::test]
async fn profile_reads_and_patches_with_validation() {
    let app = TestApp::spawn().await;
    let token = app.access_token(&unique_email("me")).await;
    let patched = send(
        app.authed(Method::PATCH, "/api/v1/users/me", &token)
            .json(&json!({"name": "Ana Lima", "time_zone": "America/Sao_Paulo", "locale": "pt-BR", "phone": "+55 11 98765-4321"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["name"], "Ana Lima");
    assert_eq!(patched.body["phone"], "+5511987654321");
    assert_eq!(patched.body["time_zone"], "America/Sao_Paulo");

    let bad = send(
        app.authed(Method::PATCH, "/api/v1/users/me", &token)
            .json(&json!({"time_zone": "Mars/Base", "phone": "12"})),
    )
    .await;
    bad.assert_problem(422, "request.validation_failed");
    let fields: Vec<_> = bad.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, vec![json!("phone"), json!("time_zone")]);

    // Absent fields stay; null clears.
    let cleared = send(
        app.authed(Method::PATCH, "/api/v1/users/me", &token)
            .json(&json!({"locale": null})),
    )
    .await;
    assert!(cleared.body.get("locale").is_none(), "{}", cleared.text);
    assert_eq!(cleared.body["name"], "Ana Lima");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let email = unique_email("change");
    let first = app.register(&email, PASSWORD).await;
    let second = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    ))
    .await
    .body;
    let token = first["access_token"].as_str().unwrap_or_default();

    let wrong = send(
        app.authed(Method::POST, "/api/v1/users/me/password", token)
            .json(&json!({"current_password": "not it at all", "new_password": "another good passphrase"})),
    )
    .await;
    wrong.assert_problem(422, "request.validation_failed");
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");

    let ok = send(
        app.authed(Method::POST, "/api/v1/users/me/password", token)
            .json(
                &json!({"current_password": PASSWORD, "new_password": "another good passphrase"}),
            ),
    )
    .await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    // This session continues; the other one has ended.
    assert_eq!(
        send(app.authed(Method::GET, "/api/v1/users/me", token))
            .await
            .status,
        200
    );
    let other = second["access_token"].as_str().unwrap_or_default();
    send(app.authed(Method::GET, "/api/v1/users/me", other))
        .await
        .assert_problem(401, "auth.session_ended");
}

#[tokio::test]
async fn anonymous_users_upgrade_keeping_their_id_and_data() {
    let app = TestApp::spawn().await;
    let anon = send(app.request(Method::POST, "/api/v1/auth/anonymous")).await;
    assert_eq!(anon.status, 201, "{}", anon.text);
    assert_eq!(anon.body["user"]["anonymous"], true);
    let id = anon.body["user"]["id"].clone();
    let token = anon.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // Things an anonymous user owns before upgrading...
    send(
        app.authed(Method::PATCH, "/api/v1/users/me", &token)
            .json(&json!({"locale": "pt-PT"})),
    )
    .await;
    // ...and things it may not do yet.
    let org = send(
        app.authed(Method::POST, "/api/v1/orgs", &token)
            .json(&json!({"name": "Nope"})),
    )
    .await;
    org.assert_problem(403, "auth.anonymous_not_allowed");

    let email = unique_email("upgraded");
    let upgraded = send(
        app.authed(Method::POST, "/api/v1/auth/upgrade", &token)
            .json(&json!({"email": email, "password": PASSWORD, "name": "Now Real"})),
    )
    .await;
    assert_eq!(upgraded.status, 200, "{}", upgraded.text);
    assert_eq!(upgraded.body["user"]["id"], id);
    assert_eq!(upgraded.body["user"]["anonymous"], false);
    let token = upgraded.body["access_token"].as_str().unwrap_or_default();
    let me = send(app.authed(Method::GET, "/api/v1/users/me", token)).await;
    assert_eq!(me.body["id"], id);
    assert_eq!(me.body["locale"], "pt-PT");
    assert_eq!(me.body["anonymous"], false);

    let again = send(
        app.authed(Method::POST, "/api/v1/auth/upgrade", token)
            .json(&json!({"email": unique_email("x"), "password": PASSWORD})),
    )
    .await;
    again.assert_problem(409, "auth.not_anonymous");
    let login = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    ))
    .await;
    assert_eq!(login.body["user"]["id"], id);
}

/// Argon2 runs on a bounded blocking pool: on this single-threaded runtime, a
/// health check sent after a burst of sign-ins is answered before they are.
#[tokio::test]
async fn a_flood_of_logins_does_not_stall_other_requests() {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let app = Arc::new(TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await);
    let email = unique_email("flood");
    app.register(&email, PASSWORD).await;
    let done = Arc::new(AtomicUsize::new(0));
    let logins: Vec<_> = (0..12)
        .map(|_| {
            let (app, done, email) = (app.clone(), done.clone(), email.clone());
            tokio::spawn(async move {
                let reply = send(app.post_json(
                    "/api/v1/auth/login",
                    &json!({"email": email, "password": "wrong password!"}),
                ))
                .await;
                done.fetch_add(1, Ordering::SeqCst);
                reply.status
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let health = send(app.get("/healthz")).await;
    let finished_before_health = done.load(Ordering::SeqCst);
    assert_eq!(health.status, 200);
    assert!(
        finished_before_health < 12,
        "health answered while sign-ins were still hashing"
    );
    for login in logins {
        assert_eq!(login.await.unwrap_or_default(), 401);
    }
}
