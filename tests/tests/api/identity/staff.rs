//! The control center: staff sign-in with a cookie, user search, roles and
//! deactivation.

use reqwest::Method;
use serde_json::json;
use trellis_tests::{PASSWORD, TestApp, TestRedis, eventually, send, unique_email};

async fn staff(app: &TestApp, admin: bool) -> (String, String) {
    let email = unique_email(if admin { "admin" } else { "staff" });
    app.state
        .identity
        .staff
        .create_staff(&app.state.db, &email, PASSWORD, admin)
        .await
        .expect("create staff");
    let login = send(
        app.internal(Method::POST, "/internal/auth/login")
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.text);
    (
        email,
        login.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn staff_sign_in_sets_a_strict_http_only_cookie_that_refreshes() {
    let app = TestApp::spawn().await;
    let email = unique_email("staff");
    app.state
        .identity
        .staff
        .create_staff(&app.state.db, &email, PASSWORD, false)
        .await
        .expect("staff");
    let login = send(
        app.internal(Method::POST, "/internal/auth/login")
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert!(
        login.body.get("refresh_token").is_none(),
        "the refresh token is not in the body"
    );
    let cookie = login.header("set-cookie").unwrap_or_default().to_string();
    for attribute in [
        "trellis_refresh=",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/internal/auth",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let value = cookie.split(';').next().unwrap_or_default().to_string();

    let refreshed = send(
        app.internal(Method::POST, "/internal/auth/refresh")
            .header("cookie", &value),
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let next = refreshed.header("set-cookie").unwrap_or_default();
    assert!(next.starts_with("trellis_refresh=") && !next.starts_with(&value));

    let missing = send(app.internal(Method::POST, "/internal/auth/refresh")).await;
    missing.assert_problem(401, "auth.missing_token");
}

#[tokio::test]
async fn people_without_a_staff_role_cannot_sign_in_to_the_control_center() {
    let app = TestApp::spawn().await;
    let email = unique_email("customer");
    app.register(&email, PASSWORD).await;
    let reply = send(
        app.internal(Method::POST, "/internal/auth/login")
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    reply.assert_problem(401, "auth.invalid_credentials");
    // Nor use a customer token on control-center routes.
    let token = app.access_token(&unique_email("customer")).await;
    send(
        app.internal(Method::GET, "/internal/users")
            .bearer_auth(&token),
    )
    .await
    .assert_problem(403, "auth.role_required");
    // The control-center routes do not exist on the public listener.
    send(app.post_json(
        "/internal/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    ))
    .await
    .assert_problem(404, "route.not_found");
}

#[tokio::test]
async fn staff_search_users() {
    let app = TestApp::spawn().await;
    let (_, token) = staff(&app, false).await;
    let target = unique_email("findme");
    app.register(&target, PASSWORD).await;
    let found = send(
        app.internal(Method::GET, "/internal/users?q=FINDME")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(found.status, 200, "{}", found.text);
    let emails: Vec<_> = found.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u["email"].clone())
        .collect();
    assert_eq!(emails, vec![json!(target)]);
    let paged = send(
        app.internal(Method::GET, "/internal/users?limit=1")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(paged.body["items"].as_array().map(Vec::len), Some(1));
    assert!(paged.body["next_cursor"].is_string());
}

#[tokio::test]
async fn deactivation_ends_sessions_at_once_and_refuses_sign_in() {
    let app = TestApp::spawn().await;
    let (_, token) = staff(&app, false).await;
    let email = unique_email("leaving");
    let tokens = app.register(&email, PASSWORD).await;
    let id = tokens["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let access = tokens["access_token"].as_str().unwrap_or_default();
    assert_eq!(
        send(app.authed(Method::GET, "/api/v1/users/me", access))
            .await
            .status,
        200
    );

    let patched = send(
        app.internal(Method::PATCH, &format!("/internal/users/{id}"))
            .bearer_auth(&token)
            .json(&json!({"deactivated": true})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert!(patched.body["deactivated_at"].is_string());

    send(app.authed(Method::GET, "/api/v1/users/me", access))
        .await
        .assert_problem(401, "auth.session_ended");
    let refresh = send(app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": tokens["refresh_token"]}),
    ))
    .await;
    refresh.assert_problem(401, "auth.invalid_refresh_token");
    let login = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    ))
    .await;
    login.assert_problem(403, "auth.account_deactivated");

    let back = send(
        app.internal(Method::PATCH, &format!("/internal/users/{id}"))
            .bearer_auth(&token)
            .json(&json!({"deactivated": false})),
    )
    .await;
    assert!(back.body.get("deactivated_at").is_none(), "{}", back.text);
    assert_eq!(
        send(app.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD})
        ))
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn only_admins_change_roles() {
    let app = TestApp::spawn().await;
    let (_, staff_token) = staff(&app, false).await;
    let (_, admin_token) = staff(&app, true).await;
    let user = app.register(&unique_email("promote"), PASSWORD).await;
    let path = format!(
        "/internal/users/{}",
        user["user"]["id"].as_str().unwrap_or_default()
    );

    let refused = send(
        app.internal(Method::PATCH, &path)
            .bearer_auth(&staff_token)
            .json(&json!({"roles": ["staff"]})),
    )
    .await;
    refused.assert_problem(403, "auth.admin_required");
    let granted = send(
        app.internal(Method::PATCH, &path)
            .bearer_auth(&admin_token)
            .json(&json!({"roles": ["staff"]})),
    )
    .await;
    assert_eq!(granted.body["roles"], json!(["staff"]));
    let unknown = send(
        app.internal(Method::PATCH, &path)
            .bearer_auth(&admin_token)
            .json(&json!({"roles": ["wizard"]})),
    )
    .await;
    unknown.assert_problem(400, "request.invalid_body");
    send(
        app.internal(
            Method::PATCH,
            &format!("/internal/users/{}", uuid::Uuid::now_v7()),
        )
        .bearer_auth(&admin_token)
        .json(&json!({"deactivated": true})),
    )
    .await
    .assert_problem(404, "user.not_found");
}

#[tokio::test]
async fn deactivation_on_one_gateway_is_refused_by_another_at_once() {
    let Some(redis) =
        TestRedis::for_test("deactivation_on_one_gateway_is_refused_by_another_at_once")
    else {
        return;
    };
    let a = TestApp::spawn_with(&redis.overrides()).await;
    let b = a.sibling().await;
    eventually("both gateways to hear revocation notices", || async {
        (a.state.revocations.is_listening() && b.state.revocations.is_listening()).then_some(())
    })
    .await;
    let (_, token) = staff(&a, false).await;
    let tokens = b.register(&unique_email("leaving"), PASSWORD).await;
    let id = tokens["user"]["id"].as_str().unwrap_or_default();
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let session = b
        .state
        .tokens
        .verify(access)
        .map(|p| p.session_id)
        .unwrap_or_else(|e| panic!("{e:?}"));

    let patched = send(
        a.internal(Method::PATCH, &format!("/internal/users/{id}"))
            .bearer_auth(&token)
            .json(&json!({"deactivated": true})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    // B, where the user signed in, drops the session on A's notice, well
    // before its own database poll (every 2 s).
    let deactivated = std::time::Instant::now();
    while !b.state.revocations.is_revoked(session) {
        assert!(
            deactivated.elapsed() < std::time::Duration::from_millis(100),
            "B still accepts the session {:?} after A deactivated the user",
            deactivated.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    send(b.authed(Method::GET, "/api/v1/users/me", access))
        .await
        .assert_problem(401, "auth.session_ended");
}
