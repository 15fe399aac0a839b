//! Organizations, roles and isolation.

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{PASSWORD, Reply, TestApp, send, unique_email};

struct Member {
    email: String,
    token: String,
    id: Value,
}

async fn member(app: &TestApp, name: &str) -> Member {
    let email = unique_email(name);
    let body = app.register(&email, PASSWORD).await;
    Member {
        email,
        token: body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        id: body["user"]["id"].clone(),
    }
}

async fn create_org(app: &TestApp, owner: &Member, name: &str) -> String {
    let reply = send(
        app.authed(Method::POST, "/api/v1/orgs", &owner.token)
            .json(&json!({"name": name})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["role"], "owner");
    reply.body["id"].as_str().unwrap_or_default().to_string()
}

async fn add(app: &TestApp, by: &Member, org: &str, who: &Member, role: &str) -> Reply {
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/orgs/{org}/members"),
            &by.token,
        )
        .json(&json!({"email": who.email, "role": role})),
    )
    .await
}

#[tokio::test]
async fn members_see_their_org_and_strangers_get_404() {
    let app = TestApp::spawn().await;
    let (owner, stranger) = (member(&app, "owner").await, member(&app, "stranger").await);
    let org = create_org(&app, &owner, "Studio Ana").await;

    let got = send(app.authed(Method::GET, &format!("/api/v1/orgs/{org}"), &owner.token)).await;
    assert_eq!(got.body["name"], "Studio Ana", "{}", got.text);

    for (method, path) in [
        (Method::GET, format!("/api/v1/orgs/{org}")),
        (Method::PATCH, format!("/api/v1/orgs/{org}")),
        (Method::DELETE, format!("/api/v1/orgs/{org}")),
        (Method::GET, format!("/api/v1/orgs/{org}/members")),
        (Method::POST, format!("/api/v1/orgs/{org}/members")),
    ] {
        let reply = send(
            app.authed(method.clone(), &path, &stranger.token)
                .json(&json!({"name": "x", "email": owner.email, "role": "member"})),
        )
        .await;
        reply.assert_problem(404, "org.not_found");
    }
    // An org that does not exist looks exactly the same.
    let missing = send(app.authed(
        Method::GET,
        &format!("/api/v1/orgs/{}", uuid::Uuid::now_v7()),
        &stranger.token,
    ))
    .await;
    missing.assert_problem(404, "org.not_found");
}

#[tokio::test]
async fn roles_decide_who_renames_adds_and_deletes() {
    let app = TestApp::spawn().await;
    let (owner, admin, plain) = (
        member(&app, "owner").await,
        member(&app, "admin").await,
        member(&app, "plain").await,
    );
    let org = create_org(&app, &owner, "Agency").await;
    assert_eq!(add(&app, &owner, &org, &admin, "admin").await.status, 201);
    let added = add(&app, &admin, &org, &plain, "member").await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["email"], plain.email);

    let rename = |who: &Member| {
        app.authed(Method::PATCH, &format!("/api/v1/orgs/{org}"), &who.token)
            .json(&json!({"name": "Renamed"}))
    };
    send(rename(&plain))
        .await
        .assert_problem(403, "org.role_required");
    assert_eq!(send(rename(&admin)).await.body["name"], "Renamed");

    // Admins cannot appoint owners; duplicates and unknown emails are refused.
    let other = member(&app, "other").await;
    add(&app, &admin, &org, &other, "owner")
        .await
        .assert_problem(403, "membership.owner_required");
    add(&app, &admin, &org, &plain, "member")
        .await
        .assert_problem(409, "membership.exists");
    let ghost = Member {
        email: unique_email("ghost"),
        token: String::new(),
        id: Value::Null,
    };
    add(&app, &admin, &org, &ghost, "member")
        .await
        .assert_problem(404, "user.not_found");

    let delete =
        |who: &Member| app.authed(Method::DELETE, &format!("/api/v1/orgs/{org}"), &who.token);
    send(delete(&admin))
        .await
        .assert_problem(403, "org.role_required");
    assert_eq!(send(delete(&owner)).await.status, 204);
    send(app.authed(Method::GET, &format!("/api/v1/orgs/{org}"), &owner.token))
        .await
        .assert_problem(404, "org.not_found");
}

#[tokio::test]
async fn the_last_owner_cannot_leave_or_be_demoted() {
    let app = TestApp::spawn().await;
    let (owner, second) = (member(&app, "owner").await, member(&app, "second").await);
    let org = create_org(&app, &owner, "Solo").await;
    let me = |path: &str| {
        format!(
            "/api/v1/orgs/{org}/members/{}{path}",
            owner.id.as_str().unwrap_or("")
        )
    };

    let demote = send(
        app.authed(Method::PATCH, &me(""), &owner.token)
            .json(&json!({"role": "admin"})),
    )
    .await;
    demote.assert_problem(409, "membership.last_owner");
    send(app.authed(Method::DELETE, &me(""), &owner.token))
        .await
        .assert_problem(409, "membership.last_owner");

    assert_eq!(add(&app, &owner, &org, &second, "owner").await.status, 201);
    let demoted = send(
        app.authed(Method::PATCH, &me(""), &owner.token)
            .json(&json!({"role": "admin"})),
    )
    .await;
    assert_eq!(demoted.status, 200, "{}", demoted.text);
    assert_eq!(demoted.body["role"], "admin");

    let members = send(app.authed(
        Method::GET,
        &format!("/api/v1/orgs/{org}/members"),
        &second.token,
    ))
    .await;
    let roles: Vec<_> = members.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["role"].clone())
        .collect();
    assert_eq!(roles.len(), 2);
    assert!(roles.contains(&json!("owner")) && roles.contains(&json!("admin")));
}

#[tokio::test]
async fn my_orgs_are_paged_with_a_cursor() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "many").await;
    for name in ["One", "Two", "Three"] {
        create_org(&app, &owner, name).await;
    }
    let first = send(app.authed(Method::GET, "/api/v1/orgs?limit=2", &owner.token)).await;
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(2));
    let cursor = first.body["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!cursor.is_empty());
    let second = send(app.authed(
        Method::GET,
        &format!("/api/v1/orgs?limit=2&cursor={cursor}"),
        &owner.token,
    ))
    .await;
    assert_eq!(second.body["items"][0]["name"], "Three");
    assert!(second.body.get("next_cursor").is_none(), "{}", second.text);

    let bad = send(app.authed(Method::GET, "/api/v1/orgs?limit=500", &owner.token)).await;
    bad.assert_problem(422, "request.validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "limit");
    let tampered = send(app.authed(Method::GET, "/api/v1/orgs?cursor=bm9wZQ", &owner.token)).await;
    tampered.assert_problem(422, "request.validation_failed");
}
