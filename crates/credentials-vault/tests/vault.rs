//! The vault's services on a fresh database: round trips, what the
//! database holds (never plaintext), integrity failures, versions, grants
//! and the audit trail, master-key rotation, rotation-due reminders.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::*;
use sea_orm::{ConnectionTrait, DbBackend, Iterable, Statement};
use trellis_credentials_vault::{
    Error,
    crypto::{CryptoError, MasterKey},
    model::{CredentialFilter, CredentialKind, UpdateCredential},
    service::ROTATION_BATCH,
};
use trellis_kernel::{PageRequest, ports::OrgRole};

fn page() -> PageRequest {
    PageRequest::parse(Some(50), None).unwrap()
}

fn k(id: &str) -> MasterKey {
    MasterKey::generate(id).unwrap()
}

#[tokio::test]
async fn a_secret_round_trips_and_only_reveal_carries_it() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let stored = w
        .store(
            &admin,
            new_credential("Hosting", "hunter2-secret", Some("2FA: Ana's phone")),
        )
        .await;
    assert_eq!(stored.version, 1);
    assert_eq!(stored.tags, ["hosting"]);

    let shown = format!(
        "{:?} {:?}",
        w.vault
            .credentials
            .get(&w.db, &admin, stored.id)
            .await
            .unwrap(),
        w.vault
            .credentials
            .list(&w.db, &admin, CredentialFilter::default(), &page())
            .await
            .unwrap()
    );
    assert!(!shown.contains("hunter2"), "{shown}");

    let revealed = w.reveal(&admin, stored.id, None).await.unwrap();
    assert_eq!(revealed.secret, "hunter2-secret");
    assert_eq!(revealed.notes.as_deref(), Some("2FA: Ana's phone"));
    assert_eq!(revealed.version, 1);
    assert!(!format!("{revealed:?}").contains("hunter2"));

    // Unicode and an empty note survive too.
    let other = w
        .store(&admin, new_credential("Ключ", "pässwörd ✓ 🔑", None))
        .await;
    let revealed = w.reveal(&admin, other.id, None).await.unwrap();
    assert_eq!(revealed.secret, "pässwörd ✓ 🔑");
    assert_eq!(revealed.notes, None);

    // Every kind stores and reveals alike.
    for kind in CredentialKind::iter() {
        let mut cmd = new_credential(&format!("{kind:?}"), &format!("{kind:?}-secret"), None);
        cmd.kind = kind;
        let stored = w.store(&admin, cmd).await;
        assert_eq!(stored.kind, kind);
        let revealed = w.reveal(&admin, stored.id, None).await.unwrap();
        assert_eq!(revealed.secret, format!("{kind:?}-secret"));
    }
}

#[tokio::test]
async fn the_database_never_holds_a_secret_in_the_clear() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let secret = "PLAINTEXT-SECRET-7f3a9c";
    let notes = "PLAINTEXT-NOTES-b81e44";
    let c = w
        .store(&admin, new_credential("Server", secret, Some(notes)))
        .await;
    let mut update = UpdateCredential::default();
    update.secret = Some("PLAINTEXT-SECRET-v2-d01f".into());
    w.vault
        .credentials
        .update(&w.db, &admin, c.id, update)
        .await
        .unwrap();
    w.reveal(&admin, c.id, None).await.unwrap();

    let blobs = w.raw_ciphertexts().await;
    assert_eq!(
        blobs.len(),
        2 + 2 + 2,
        "two versions with notes, the org key (twice)"
    );
    for blob in &blobs {
        for plain in [secret, notes, "PLAINTEXT-SECRET-v2-d01f", "PLAINTEXT"] {
            assert!(
                !contains(blob, plain.as_bytes()),
                "{plain} stored in the clear"
            );
        }
    }
    for text in w.raw_texts().await {
        assert!(!text.contains("PLAINTEXT"), "{text}");
    }
    // The whole SQLite file (and its write-ahead log), byte for byte.
    if w.backend() == DbBackend::Sqlite {
        let url = w.guard.url().to_owned();
        let path = url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let dir = std::path::Path::new(&path).parent().unwrap();
        let mut metadata_seen = false;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !contains(&bytes, b"PLAINTEXT"),
                "plaintext in the database files"
            );
            // The metadata is there in the clear: these are the right files.
            metadata_seen |= contains(&bytes, b"admin.acme.example");
        }
        assert!(metadata_seen);
    }
}

#[tokio::test]
async fn a_tampered_or_swapped_ciphertext_fails_integrity_and_writes_no_audit_row() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let a = w.store(&admin, new_credential("A", "secret-a", None)).await;
    let b = w.store(&admin, new_credential("B", "secret-b", None)).await;

    // Flip one byte of A's ciphertext.
    let sql = format!(
        "SELECT secret_ciphertext FROM credential_versions WHERE credential_id = {}",
        w.p(1)
    );
    let read = |id: uuid::Uuid| {
        let sql = sql.clone();
        let db = w.db.clone();
        let backend = w.backend();
        async move {
            let row = db
                .query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<Vec<u8>>(0).unwrap()
        }
    };
    let mut tampered = read(a.id.0).await;
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let update = format!(
        "UPDATE credential_versions SET secret_ciphertext = {} WHERE credential_id = {}",
        w.p(1),
        w.p(2)
    );
    w.exec(&update, vec![tampered.into(), a.id.0.into()]).await;
    let err = w.reveal(&admin, a.id, None).await.unwrap_err();
    assert!(
        matches!(err, Error::Integrity(CryptoError::Integrity)),
        "{err:?}"
    );
    assert_eq!(trellis_kernel::DomainError::kind(&err).status(), 500);
    assert_eq!(trellis_kernel::DomainError::code(&err), "internal");
    assert!(!err.to_string().contains("secret"));

    // Copy B's (valid) ciphertext into A's row: bound to B, it fails in A.
    let b_cipher = read(b.id.0).await;
    w.exec(&update, vec![b_cipher.into(), a.id.0.into()]).await;
    let err = w.reveal(&admin, a.id, None).await.unwrap_err();
    assert!(matches!(err, Error::Integrity(_)), "{err:?}");

    // B itself still opens; failed reveals left no audit row.
    assert_eq!(
        w.reveal(&admin, b.id, None).await.unwrap().secret,
        "secret-b"
    );
    let trail = w
        .vault
        .reveals
        .audit(&w.db, &admin, a.id, &page())
        .await
        .unwrap();
    assert!(trail.items.is_empty());

    // Another organization's wrapped key swapped in fails too.
    let other = w.agency().await;
    w.store(&other, new_credential("C", "secret-c", None)).await;
    let swap = format!(
        "UPDATE vault_org_keys SET wrapped_key = (SELECT wrapped_key FROM vault_org_keys WHERE org_id = {}) WHERE org_id = {}",
        w.p(1),
        w.p(2)
    );
    w.exec(
        &swap,
        vec![other.org_id().0.into(), admin.org_id().0.into()],
    )
    .await;
    let err = w.reveal(&admin, b.id, None).await.unwrap_err();
    assert!(matches!(err, Error::Integrity(_)), "{err:?}");
}

#[tokio::test]
async fn a_new_secret_is_a_new_version_and_admins_reveal_old_ones() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let c = w
        .store(&admin, new_credential("DB", "v1", Some("notes v1")))
        .await;
    w.clock.advance(Duration::hours(1));

    let mut change = UpdateCredential::default();
    change.secret = Some("v2".into());
    change.name = Some("Database".into());
    let changed = w
        .vault
        .credentials
        .update(&w.db, &admin, c.id, change)
        .await
        .unwrap();
    assert_eq!((changed.version, changed.name.as_str()), (2, "Database"));
    assert!(changed.last_rotated_at > c.last_rotated_at);

    // Notes alone make a version too; the secret is carried over.
    let mut notes = UpdateCredential::default();
    notes.notes = poem_openapi::types::MaybeUndefined::Value("notes v3".into());
    assert_eq!(
        w.vault
            .credentials
            .update(&w.db, &admin, c.id, notes)
            .await
            .unwrap()
            .version,
        3
    );
    // Metadata alone does not.
    let mut meta = UpdateCredential::default();
    meta.kind = Some(CredentialKind::Database);
    assert_eq!(
        w.vault
            .credentials
            .update(&w.db, &admin, c.id, meta)
            .await
            .unwrap()
            .version,
        3
    );

    let now = w.reveal(&admin, c.id, None).await.unwrap();
    assert_eq!(
        (now.secret.as_str(), now.notes.as_deref()),
        ("v2", Some("notes v3"))
    );
    let first = w.reveal(&admin, c.id, Some(1)).await.unwrap();
    assert_eq!(
        (first.secret.as_str(), first.notes.as_deref()),
        ("v1", Some("notes v1"))
    );
    assert!(matches!(
        w.reveal(&admin, c.id, Some(9)).await,
        Err(Error::VersionNotFound)
    ));

    let versions = w
        .vault
        .credentials
        .versions(&w.db, &admin, c.id)
        .await
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.current))
            .collect::<Vec<_>>(),
        [(3, true), (2, false), (1, false)]
    );
    assert!(versions.iter().all(|v| v.created_by == admin.user_id()));
    // Each version is stamped when it was written: the first before the hour passed.
    assert_eq!(
        versions.iter().map(|v| v.created_at.0).collect::<Vec<_>>(),
        [
            t("2026-11-23T13:00:00Z"),
            t("2026-11-23T13:00:00Z"),
            t("2026-11-23T12:00:00Z")
        ]
    );
}

#[tokio::test]
async fn members_reveal_only_with_a_grant_and_every_reveal_is_audited() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let org = admin.org_id();
    let member = w.member(org, OrgRole::Member).await;
    let owner = w.member(org, OrgRole::Owner).await;
    let c = w
        .store(&admin, new_credential("CMS", "cms-pass", None))
        .await;

    // Members see metadata, not the secret.
    assert!(w.vault.credentials.get(&w.db, &member, c.id).await.is_ok());
    assert!(matches!(
        w.reveal(&member, c.id, None).await,
        Err(Error::RevealForbidden)
    ));
    // Only admins grant, and only to members.
    assert!(matches!(
        w.vault
            .grants
            .grant(&w.db, &member, c.id, member.user_id())
            .await,
        Err(Error::Access(_))
    ));
    let stranger = w.user().await;
    assert!(matches!(
        w.vault.grants.grant(&w.db, &admin, c.id, stranger).await,
        Err(Error::Validation(_))
    ));
    let grant = w
        .vault
        .grants
        .grant(&w.db, &admin, c.id, member.user_id())
        .await
        .unwrap();
    assert_eq!(grant.granted_by, admin.user_id());
    // Granting twice keeps the first grant.
    w.vault
        .grants
        .grant(&w.db, &admin, c.id, member.user_id())
        .await
        .unwrap();
    assert_eq!(
        w.vault
            .grants
            .list(&w.db, &admin, c.id)
            .await
            .unwrap()
            .len(),
        1
    );

    assert_eq!(
        w.reveal(&member, c.id, None).await.unwrap().secret,
        "cms-pass"
    );
    w.clock.advance(Duration::minutes(1));
    let mut change = UpdateCredential::default();
    change.secret = Some("cms-pass-2".into());
    w.vault
        .credentials
        .update(&w.db, &admin, c.id, change)
        .await
        .unwrap();
    assert!(matches!(
        w.reveal(&member, c.id, Some(1)).await,
        Err(Error::OlderVersionForbidden)
    ));
    assert_eq!(
        w.reveal(&owner, c.id, Some(1)).await.unwrap().secret,
        "cms-pass"
    );
    w.clock.advance(Duration::minutes(1));
    let latest = w.reveal(&admin, c.id, None).await.unwrap();
    assert_eq!(latest.secret, "cms-pass-2");
    assert_eq!(latest.revealed_at.0, t("2026-11-23T12:02:00Z"));

    w.vault
        .grants
        .revoke(&w.db, &admin, c.id, member.user_id())
        .await
        .unwrap();
    assert!(matches!(
        w.reveal(&member, c.id, None).await,
        Err(Error::RevealForbidden)
    ));
    assert!(matches!(
        w.vault
            .grants
            .revoke(&w.db, &admin, c.id, member.user_id())
            .await,
        Err(Error::GrantNotFound)
    ));

    // Another organization's admin: not found, not forbidden.
    let foreign = w.agency().await;
    assert!(matches!(
        w.reveal(&foreign, c.id, None).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        w.vault.credentials.get(&w.db, &foreign, c.id).await,
        Err(Error::NotFound)
    ));

    // Three reveals succeeded; the refused ones left nothing.
    let trail = w
        .vault
        .reveals
        .audit(&w.db, &admin, c.id, &page())
        .await
        .unwrap();
    let seen: Vec<_> = trail.items.iter().map(|r| (r.user_id, r.version)).collect();
    assert_eq!(
        seen,
        [
            (admin.user_id(), 2),
            (owner.user_id(), 1),
            (member.user_id(), 1)
        ]
    );
    assert_eq!(
        trail
            .items
            .iter()
            .map(|r| r.revealed_at.0)
            .collect::<Vec<_>>(),
        [
            t("2026-11-23T12:02:00Z"),
            t("2026-11-23T12:01:00Z"),
            t("2026-11-23T12:00:00Z")
        ]
    );
    for row in &trail.items {
        assert_eq!(row.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(row.user_agent.as_deref(), Some("vault-test/1.0"));
    }
    assert!(matches!(
        w.vault.reveals.audit(&w.db, &member, c.id, &page()).await,
        Err(Error::Access(_))
    ));

    // Deleting the credential keeps its trail in the database.
    w.vault
        .credentials
        .delete(&w.db, &admin, c.id)
        .await
        .unwrap();
    let rows =
        w.db.query_all_raw(Statement::from_string(
            w.backend(),
            "SELECT id FROM credential_reveals".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
}

#[tokio::test]
async fn rotation_rewraps_in_resumable_batches_then_the_old_key_can_go() {
    let (k1, k2) = (k("k1"), k("k2"));
    let mut w = world(ring(&[&k1])).await;
    let mut stored = Vec::new();
    for i in 0..3 {
        let admin = w.agency().await;
        let c = w
            .store(&admin, new_credential("Key", &format!("secret-{i}"), None))
            .await;
        stored.push((admin, c.id, format!("secret-{i}")));
    }

    // k2 becomes active; k1 stays to unwrap. One batch of one, then "crash".
    w.rekey(ring(&[&k2, &k1]));
    let first = w.vault.keys.rotate(&w.db, 1, Some(1)).await.unwrap();
    assert_eq!(
        (first.rewrapped, first.remaining, first.unknown_key),
        (1, 2, 0)
    );
    assert_eq!(first.active_key_id, "k2");
    // Meanwhile everything still decrypts, under either key.
    for (admin, id, secret) in &stored {
        assert_eq!(&w.reveal(admin, *id, None).await.unwrap().secret, secret);
    }
    // New organizations get keys under k2.
    let late = w.agency().await;
    let late_c = w
        .store(&late, new_credential("Late", "late-secret", None))
        .await;

    // Resumed: the rest, then nothing more to do.
    let rest = w
        .vault
        .keys
        .rotate(&w.db, ROTATION_BATCH, None)
        .await
        .unwrap();
    assert_eq!(
        (rest.rewrapped, rest.remaining, rest.unknown_key),
        (2, 0, 0)
    );
    let again = w
        .vault
        .keys
        .rotate(&w.db, ROTATION_BATCH, None)
        .await
        .unwrap();
    assert_eq!((again.rewrapped, again.remaining), (0, 0));

    // k1 removed from the environment: every secret still decrypts.
    w.rekey(ring(&[&k2]));
    for (admin, id, secret) in &stored {
        assert_eq!(&w.reveal(admin, *id, None).await.unwrap().secret, secret);
    }
    assert_eq!(
        w.reveal(&late, late_c.id, None).await.unwrap().secret,
        "late-secret"
    );
    let none = w
        .vault
        .keys
        .rotate(&w.db, ROTATION_BATCH, None)
        .await
        .unwrap();
    assert_eq!(
        (none.rewrapped, none.remaining, none.unknown_key),
        (0, 0, 0)
    );

    // Only k1 configured: nothing opens, and rotation counts the strays.
    w.rekey(ring(&[&k1]));
    let (admin, id, _) = &stored[0];
    assert!(matches!(
        w.reveal(admin, *id, None).await,
        Err(Error::Integrity(CryptoError::UnknownKey(_)))
    ));
    let stray = w
        .vault
        .keys
        .rotate(&w.db, ROTATION_BATCH, None)
        .await
        .unwrap();
    assert_eq!(stray.unknown_key, 4);
}

#[tokio::test]
async fn links_to_clients_and_projects_stay_inside_the_organization() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let org = admin.org_id();
    let client = w.agency_client(org).await;
    let project = w.project(org, client).await;
    let foreign = w.agency().await;
    let foreign_client = w.agency_client(foreign.org_id()).await;
    let foreign_project = w.project(foreign.org_id(), foreign_client).await;

    let mut cmd = new_credential("FTP", "ftp", None);
    cmd.project_id = Some(project);
    let c = w.store(&admin, cmd).await;
    assert_eq!((c.client_id, c.project_id), (Some(client), Some(project)));

    for (client_id, project_id, field) in [
        (Some(foreign_client), None, "client_id"),
        (None, Some(foreign_project), "project_id"),
        (Some(foreign_client), Some(project), "project_id"),
        (Some(uuid::Uuid::now_v7()), None, "client_id"),
    ] {
        let mut cmd = new_credential("X", "x", None);
        cmd.client_id = client_id;
        cmd.project_id = project_id;
        match w.vault.credentials.create(&w.db, &admin, cmd).await {
            Err(Error::Validation(errors)) => assert_eq!(errors[0].field, field),
            other => panic!("{other:?}"),
        }
    }

    let by_client = CredentialFilter {
        client_id: Some(client),
        ..CredentialFilter::default()
    };
    let listed = w
        .vault
        .credentials
        .list(&w.db, &admin, by_client, &page())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);

    // Unlinking the client unlinks its project.
    let mut unlink = UpdateCredential::default();
    unlink.client_id = poem_openapi::types::MaybeUndefined::Null;
    let unlinked = w
        .vault
        .credentials
        .update(&w.db, &admin, c.id, unlink)
        .await
        .unwrap();
    assert_eq!((unlinked.client_id, unlinked.project_id), (None, None));
}

#[tokio::test]
async fn search_filters_and_rotation_due() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let mut a = new_credential("Google Ads", "a", None);
    a.rotate_after_days = Some(30);
    a.tags = vec!["ads".into(), "google".into()];
    let a = w.store(&admin, a).await;
    let mut b = new_credential("Server root", "b", None);
    b.kind = CredentialKind::SshKey;
    b.rotate_after_days = Some(90);
    let b = w.store(&admin, b).await;
    let c = w
        .store(&admin, new_credential("Wi-Fi 100%_", "c", None))
        .await;

    let list = |filter: CredentialFilter| {
        let w = &w;
        let admin = &admin;
        async move {
            w.vault
                .credentials
                .list(&w.db, admin, filter, &page())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let f = CredentialFilter::default;
    assert_eq!(
        list(CredentialFilter {
            q: Some("GOOGLE".into()),
            ..f()
        })
        .await,
        [a.id]
    );
    assert_eq!(
        list(CredentialFilter {
            q: Some("100%_".into()),
            ..f()
        })
        .await,
        [c.id]
    );
    assert_eq!(
        list(CredentialFilter {
            q: Some("admin.acme".into()),
            ..f()
        })
        .await
        .len(),
        3
    );
    assert_eq!(
        list(CredentialFilter {
            kind: Some(CredentialKind::SshKey),
            ..f()
        })
        .await,
        [b.id]
    );
    assert_eq!(
        list(CredentialFilter {
            tag: Some("ads".into()),
            ..f()
        })
        .await,
        [a.id]
    );
    assert_eq!(
        list(CredentialFilter {
            tag: Some("ad".into()),
            ..f()
        })
        .await,
        []
    );

    assert_eq!(
        a.rotation_due_at.map(|t| t.0),
        Some(t("2026-12-23T12:00:00Z"))
    );
    assert!(
        list(CredentialFilter {
            rotation_due: Some(true),
            ..f()
        })
        .await
        .is_empty()
    );
    w.clock.advance(Duration::days(31));
    assert_eq!(
        list(CredentialFilter {
            rotation_due: Some(true),
            ..f()
        })
        .await,
        [a.id]
    );
    assert_eq!(
        list(CredentialFilter {
            rotation_due: Some(false),
            ..f()
        })
        .await,
        [b.id, c.id]
    );

    // The daily job: one event per organization with something due.
    let other = w.agency().await;
    for name in ["Other", "Other too"] {
        let mut d = new_credential(name, "d", None);
        d.rotate_after_days = Some(1);
        w.store(&other, d).await;
    }
    w.clock.advance(Duration::days(2));
    let (orgs, credentials) = w
        .vault
        .credentials
        .record_rotation_due(&w.db)
        .await
        .unwrap();
    // Two due in the other organization are still one event there.
    assert_eq!((orgs, credentials), (2, 3));
    let events =
        w.db.query_all_raw(Statement::from_string(
            w.backend(),
            "SELECT aggregate_id FROM outbox_events WHERE kind = 'credential.rotation_due'"
                .to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(events.len(), 2);

    // A new secret restarts the clock.
    let mut rotate = UpdateCredential::default();
    rotate.secret = Some("a2".into());
    w.vault
        .credentials
        .update(&w.db, &admin, a.id, rotate)
        .await
        .unwrap();
    assert!(
        list(CredentialFilter {
            rotation_due: Some(true),
            ..f()
        })
        .await
        .is_empty()
    );
}

/// The audit row is written in the transaction that returns the secret: a
/// reveal that cannot be audited returns nothing.
#[tokio::test]
async fn a_reveal_that_cannot_be_audited_reveals_nothing() {
    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let c = w
        .store(&admin, new_credential("Audited", "never-unaudited", None))
        .await;
    w.exec("DROP TABLE credential_reveals", vec![]).await;
    match w.reveal(&admin, c.id, None).await {
        Err(Error::Database(_)) => {}
        other => panic!("expected a database error and no secret, got {other:?}"),
    }
}
