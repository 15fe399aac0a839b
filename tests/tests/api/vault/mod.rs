//! The credentials vault over HTTP: credentials and their versions, reveals
//! and their audit trail, grants, integrity failures, master-key rotation
//! and rotation reminders, as a frontend and an operator see them (every
//! response is checked against the spec).

use chrono::Utc;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use trellis_credentials_vault::crypto::MasterKey;
use trellis_kernel::Role;
use trellis_tests::{Reply, TestApp, send};

use crate::time::{Agency, agency, call, spawn};

const SECRET: &str = "PLAINTEXT-hunter2-9c1f";

fn login(name: &str) -> Value {
    json!({
        "name": name,
        "kind": "login",
        "username": "ops@acme.example",
        "url": "https://admin.acme.example",
        "tags": ["hosting"],
        "secret": SECRET,
        "notes": "recovery codes in the safe",
        "rotate_after_days": 90,
    })
}

async fn create(app: &TestApp, a: &Agency, body: Value) -> String {
    let created = call(
        app,
        &a.owner,
        Method::POST,
        &a.at("/credentials"),
        Some(body),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["id"].as_str().unwrap().to_owned()
}

async fn reveal(app: &TestApp, who: &crate::time::Person, path: &str) -> Reply {
    send(
        app.authed(Method::POST, path, &who.token)
            .header("user-agent", "vault-frontend/2.1"),
    )
    .await
}

#[tokio::test]
async fn credentials_round_trip_and_only_reveal_carries_the_secret() {
    let app = spawn().await;
    let a = agency(&app).await;
    let created = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/credentials"),
        Some(login("Hosting")),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(!created.text.contains(SECRET) && !created.text.contains("recovery"));
    assert_eq!(created.body["version"], 1);
    assert!(created.body["rotation_due_at"].is_string());
    let id = created.body["id"].as_str().unwrap().to_owned();
    let one = a.at(&format!("/credentials/{id}"));

    // Members read metadata; nothing but reveal shows the secret.
    for reply in [
        call(&app, &a.member, Method::GET, &a.at("/credentials"), None).await,
        call(&app, &a.member, Method::GET, &one, None).await,
        call(
            &app,
            &a.owner,
            Method::GET,
            &a.at("/credentials?q=ACME&kind=login&tag=hosting"),
            None,
        )
        .await,
    ] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(!reply.text.contains(SECRET), "{}", reply.text);
        assert!(!reply.text.contains("recovery"), "no notes: {}", reply.text);
    }
    let searched = call(
        &app,
        &a.owner,
        Method::GET,
        &a.at("/credentials?q=nothing-like-it"),
        None,
    )
    .await;
    assert_eq!(searched.body["items"].as_array().unwrap().len(), 0);
    // Members change nothing.
    call(
        &app,
        &a.member,
        Method::POST,
        &a.at("/credentials"),
        Some(login("X")),
    )
    .await
    .assert_problem(403, "org.role_required");
    call(&app, &a.member, Method::DELETE, &one, None)
        .await
        .assert_problem(403, "org.role_required");

    let shown = reveal(&app, &a.owner, &format!("{one}/reveal")).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["secret"], SECRET);
    assert_eq!(shown.body["notes"], "recovery codes in the safe");
    assert_eq!(shown.body["version"], 1);
    assert_eq!(shown.header("cache-control"), Some("no-store"));

    // A new secret is version 2; the owner can still reveal version 1.
    let changed = call(
        &app,
        &a.owner,
        Method::PATCH,
        &one,
        Some(json!({"secret": "second-secret", "username": null})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["version"], 2);
    assert!(changed.body.get("username").is_none());
    let versions = call(
        &app,
        &a.owner,
        Method::GET,
        &format!("{one}/versions"),
        None,
    )
    .await;
    assert_eq!(versions.status, 200, "{}", versions.text);
    let listed: Vec<(i64, bool)> = versions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [(2, true), (1, false)]);
    // Neither the change's answer nor the versions carry a secret or notes.
    for reply in [&changed, &versions] {
        for hidden in [SECRET, "second-secret", "recovery"] {
            assert!(!reply.text.contains(hidden), "{hidden}: {}", reply.text);
        }
    }
    call(
        &app,
        &a.member,
        Method::GET,
        &format!("{one}/versions"),
        None,
    )
    .await
    .assert_problem(403, "org.role_required");
    assert_eq!(
        reveal(&app, &a.owner, &format!("{one}/reveal")).await.body["secret"],
        "second-secret"
    );
    assert_eq!(
        reveal(&app, &a.owner, &format!("{one}/reveal?version=1"))
            .await
            .body["secret"],
        SECRET
    );
    reveal(&app, &a.owner, &format!("{one}/reveal?version=7"))
        .await
        .assert_problem(404, "credential.version_not_found");

    // Every reveal is in the audit trail, newest first.
    let audit = call(&app, &a.owner, Method::GET, &format!("{one}/audit"), None).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let rows = audit.body["items"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| r["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 1]
    );
    for hidden in [SECRET, "second-secret", "recovery"] {
        assert!(!audit.text.contains(hidden), "{hidden}: {}", audit.text);
    }
    for row in rows {
        assert_eq!(row["user_id"], a.owner.id.as_str());
        assert_eq!(row["user_agent"], "vault-frontend/2.1");
        assert_eq!(row["ip"], "127.0.0.1");
    }

    // Nowhere in the database in the clear (and, on SQLite, not in its files).
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT secret_ciphertext FROM credential_versions".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let bytes: Vec<u8> = row.try_get_by_index(0).unwrap();
        assert!(!bytes.windows(9).any(|w| w == b"PLAINTEXT"));
    }
    let url = &app.state.config.database.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = std::path::Path::new(path.split('?').next().unwrap());
        for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(9).any(|w| w == b"PLAINTEXT"),
                "plaintext in the SQLite files"
            );
        }
    }

    // Deleted: gone for everyone.
    assert_eq!(
        call(&app, &a.owner, Method::DELETE, &one, None)
            .await
            .status,
        204
    );
    call(&app, &a.owner, Method::GET, &one, None)
        .await
        .assert_problem(404, "credential.not_found");
}

#[tokio::test]
async fn members_reveal_only_with_a_grant_and_foreign_orgs_see_nothing() {
    let app = spawn().await;
    let a = agency(&app).await;
    let id = create(&app, &a, login("CMS")).await;
    let one = a.at(&format!("/credentials/{id}"));

    reveal(&app, &a.member, &format!("{one}/reveal"))
        .await
        .assert_problem(403, "credential.reveal_forbidden");
    let grant = format!("{one}/grants/{}", a.member.id);
    call(&app, &a.member, Method::PUT, &grant, None)
        .await
        .assert_problem(403, "org.role_required");
    let granted = call(&app, &a.owner, Method::PUT, &grant, None).await;
    assert_eq!(granted.status, 200, "{}", granted.text);
    assert_eq!(granted.body["granted_by"], a.owner.id.as_str());
    // Only members can be granted.
    call(
        &app,
        &a.owner,
        Method::PUT,
        &format!("{one}/grants/{}", a.outsider.id),
        None,
    )
    .await
    .assert_problem(422, "request.validation_failed");
    let grants = call(&app, &a.owner, Method::GET, &format!("{one}/grants"), None).await;
    assert_eq!(grants.body.as_array().unwrap().len(), 1);
    for reply in [&granted, &grants] {
        assert!(!reply.text.contains(SECRET), "{}", reply.text);
        assert!(!reply.text.contains("recovery"), "{}", reply.text);
    }

    let shown = reveal(&app, &a.member, &format!("{one}/reveal")).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["secret"], SECRET);
    // A colleague without a grant still cannot; the grantee cannot see old versions.
    reveal(&app, &a.colleague, &format!("{one}/reveal"))
        .await
        .assert_problem(403, "credential.reveal_forbidden");
    call(
        &app,
        &a.owner,
        Method::PATCH,
        &one,
        Some(json!({"secret": "v2"})),
    )
    .await;
    reveal(&app, &a.member, &format!("{one}/reveal?version=1"))
        .await
        .assert_problem(403, "credential.older_version_forbidden");

    assert_eq!(
        call(&app, &a.owner, Method::DELETE, &grant, None)
            .await
            .status,
        204
    );
    call(&app, &a.owner, Method::DELETE, &grant, None)
        .await
        .assert_problem(404, "credential.grant_not_found");
    reveal(&app, &a.member, &format!("{one}/reveal"))
        .await
        .assert_problem(403, "credential.reveal_forbidden");

    // Another organization: its own path does not find our credential, ours is not its.
    reveal(&app, &a.outsider, &format!("{one}/reveal"))
        .await
        .assert_problem(404, "org.not_found");
    reveal(
        &app,
        &a.outsider,
        &a.other(&format!("/credentials/{id}/reveal")),
    )
    .await
    .assert_problem(404, "credential.not_found");
    call(
        &app,
        &a.outsider,
        Method::GET,
        &a.other(&format!("/credentials/{id}")),
        None,
    )
    .await
    .assert_problem(404, "credential.not_found");

    // One audit row per reveal that answered a secret: the member's one.
    let audit = call(&app, &a.owner, Method::GET, &format!("{one}/audit"), None).await;
    let rows = audit.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}", audit.text);
    assert_eq!(rows[0]["user_id"], a.member.id.as_str());
    call(&app, &a.member, Method::GET, &format!("{one}/audit"), None)
        .await
        .assert_problem(403, "org.role_required");
}

#[tokio::test]
async fn a_tampered_secret_is_a_bare_500_with_an_error_id() {
    let app = spawn().await;
    let a = agency(&app).await;
    let id = create(&app, &a, login("Router")).await;
    let other = create(&app, &a, login("Switch")).await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let p = |n| {
        if backend == sea_orm::DbBackend::Postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    };

    // Swap: the other credential's valid ciphertext moved into this row.
    let copy = format!(
        "UPDATE credential_versions SET secret_ciphertext = (SELECT secret_ciphertext FROM credential_versions WHERE credential_id = {}) WHERE credential_id = {}",
        p(1),
        p(2)
    );
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        copy,
        [
            uuid::Uuid::parse_str(&other).unwrap().into(),
            uuid::Uuid::parse_str(&id).unwrap().into(),
        ],
    ))
    .await
    .unwrap();
    let failed = reveal(&app, &a.owner, &a.at(&format!("/credentials/{id}/reveal"))).await;
    failed.assert_problem(500, "internal");
    assert!(failed.body["error_id"].is_string(), "{}", failed.text);
    for leak in ["integrity", "cipher", "decrypt", "version", SECRET] {
        assert!(
            !failed.text.to_lowercase().contains(&leak.to_lowercase()),
            "{leak}: {}",
            failed.text
        );
    }
    // The other one is fine, and the failed reveal left no audit row.
    assert_eq!(
        reveal(
            &app,
            &a.owner,
            &a.at(&format!("/credentials/{other}/reveal"))
        )
        .await
        .status,
        200
    );
    let audit = call(
        &app,
        &a.owner,
        Method::GET,
        &a.at(&format!("/credentials/{id}/audit")),
        None,
    )
    .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn rotation_rewraps_every_data_key_then_the_old_master_key_can_go() {
    let (k1, k2) = (
        MasterKey::generate("k1").unwrap(),
        MasterKey::generate("k2").unwrap(),
    );
    let (e1, e2) = (k1.to_entry().to_string(), k2.to_entry().to_string());
    let app =
        TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off"), ("VAULT_MASTER_KEYS", &e1)]).await;
    let a = agency(&app).await;
    let id = create(&app, &a, login("Registrar")).await;
    let path = a.at(&format!("/credentials/{id}/reveal"));

    let both = format!("{e2},{e1}");
    let app = app
        .crash_and_restart(&[("TRELLIS_RATE_LIMITS", "off"), ("VAULT_MASTER_KEYS", &both)])
        .await;
    let rotate = |app: &TestApp, token: &str| {
        send(
            app.internal(Method::POST, "/internal/vault/rotate-key")
                .bearer_auth(token),
        )
    };
    rotate(&app, &a.owner.token)
        .await
        .assert_problem(403, "auth.role_required");
    let staff = app.token_for(&[Role::Staff]);
    let done = rotate(&app, &staff).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(
        done.body,
        json!({"active_key_id": "k2", "rewrapped": 1, "remaining": 0, "unknown_key": 0})
    );
    // Again: nothing left to do.
    assert_eq!(rotate(&app, &staff).await.body["rewrapped"], 0);

    // k1 removed from the environment: the secret still decrypts.
    let app = app
        .crash_and_restart(&[("TRELLIS_RATE_LIMITS", "off"), ("VAULT_MASTER_KEYS", &e2)])
        .await;
    let shown = reveal(&app, &a.owner, &path).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["secret"], SECRET);
}

#[tokio::test]
async fn reveal_is_rate_limited_per_user() {
    let app = TestApp::spawn().await;
    let a = agency(&app).await;
    let id = create(&app, &a, login("API")).await;
    let path = a.at(&format!("/credentials/{id}/reveal"));
    for _ in 0..10 {
        let shown = reveal(&app, &a.owner, &path).await;
        assert_eq!(shown.status, 200, "{}", shown.text);
    }
    let limited = reveal(&app, &a.owner, &path).await;
    limited.assert_problem(429, "rate_limit.exceeded");
    // Reading metadata is not limited by it.
    assert_eq!(
        call(
            &app,
            &a.owner,
            Method::GET,
            &a.at(&format!("/credentials/{id}")),
            None
        )
        .await
        .status,
        200
    );
}

const CRON_SECRET: &str = "0123456789abcdef-cron-secret";

#[tokio::test]
async fn owners_hear_of_credentials_due_for_rotation() {
    // Whole seconds, like every other test clock.
    let now = Utc::now().timestamp();
    let clock =
        trellis_kernel::clock::ManualClock::at(chrono::DateTime::from_timestamp(now, 0).unwrap());
    let app = TestApp::spawn_with_clock(
        &[("TRELLIS_RATE_LIMITS", "off"), ("CRON_SECRET", CRON_SECRET)],
        std::sync::Arc::new(clock.clone()),
    )
    .await;
    let a = agency(&app).await;
    let mut first = login("Google Ads");
    first["rotate_after_days"] = json!(30);
    create(&app, &a, first).await;
    let mut second = login("Analytics");
    second["rotate_after_days"] = json!(60);
    create(&app, &a, second).await;
    let mut never = login("Never due");
    never["rotate_after_days"] = Value::Null;
    create(&app, &a, never).await;

    let due = || a.at("/credentials?rotation_due=true");
    let listed = call(&app, &a.owner, Method::GET, &due(), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    clock.advance(chrono::Duration::days(61));
    // Access tokens expired meanwhile: sign in again.
    let signed_in = send(app.post_json(
        "/api/v1/auth/login",
        &json!({"email": a.owner.email, "password": trellis_tests::PASSWORD}),
    ))
    .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let owner = crate::time::Person {
        token: signed_in.body["access_token"].as_str().unwrap().to_owned(),
        id: a.owner.id.clone(),
        email: a.owner.email.clone(),
    };
    let listed = call(&app, &owner, Method::GET, &due(), None).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        listed.text
    );

    let run = send(
        app.internal(Method::POST, "/internal/cron/vault_rotation_due")
            .header("x-cron-secret", CRON_SECRET),
    )
    .await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(
        run.body["report"],
        json!({"organizations": 1, "credentials": 2})
    );

    // The owner (only) hears of the most overdue one, and that one more is due.
    let mail = app.mail(&a.owner.email, "Rotate \"Google Ads\"").await;
    assert!(mail.text.contains("1 other credential"), "{}", mail.text);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        trellis_tests::mail::mails_to(&app.mail_dir, &a.member.email)
            .iter()
            .all(|m| !m.subject.contains("Rotate"))
    );
}
