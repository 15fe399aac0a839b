//! Every view, written by serde exactly as its schema says, with its
//! optional fields set and unset.

use chrono::DateTime;
use trellis_kernel::{Timestamp, id::UserId, testing::assert_same_json};
use uuid::Uuid;

use super::*;
use crate::ids::{CredentialId, RevealId};

fn at(secs: i64) -> Timestamp {
    Timestamp(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

#[test]
fn credentials() {
    for set in [true, false] {
        let view = assert_same_json(&CredentialView {
            id: CredentialId::new(),
            name: "Google Ads".into(),
            kind: CredentialKind::ApiKey,
            username: set.then(|| "ads@acme.example".into()),
            url: set.then(|| "https://ads.google.com".into()),
            tags: if set { vec!["ads".into()] } else { vec![] },
            client_id: set.then(Uuid::now_v7),
            project_id: set.then(Uuid::now_v7),
            version: 2,
            rotate_after_days: set.then_some(90),
            last_rotated_at: at(1_790_000_000),
            rotation_due_at: set.then(|| at(1_797_776_000)),
            last_revealed_at: set.then(|| at(1_790_000_500)),
            created_by: UserId::new(),
            created_at: at(1_790_000_000),
            updated_at: at(1_790_000_001),
        });
        if !set {
            assert!(view.get("username").is_none(), "absent, not null: {view}");
        }
    }
}

#[test]
fn reveals_versions_grants_and_rotation() {
    for set in [true, false] {
        let secret = RevealedSecret {
            credential_id: CredentialId::new(),
            version: 1,
            secret: "hunter2".into(),
            notes: set.then(|| "2FA on Ana's phone".into()),
            revealed_at: at(1_790_000_000),
        };
        assert_same_json(&secret);
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_same_json(&RevealView {
            id: RevealId::new(),
            user_id: UserId::new(),
            version: 1,
            ip: set.then(|| "203.0.113.7".into()),
            user_agent: set.then(|| "curl/8".into()),
            revealed_at: at(1_790_000_000),
        });
        assert_same_json(&CredentialVersionView {
            version: 3,
            current: set,
            has_notes: !set,
            created_by: UserId::new(),
            created_at: at(1_790_000_000),
        });
    }
    assert_same_json(&GrantView {
        user_id: UserId::new(),
        granted_by: UserId::new(),
        granted_at: at(1_790_000_000),
    });
    assert_same_json(&RotationReport {
        active_key_id: "k2".into(),
        rewrapped: 3,
        remaining: 0,
        unknown_key: 0,
    });
}

#[test]
fn commands_never_print_their_secret() {
    let create = CreateCredential {
        name: "db".into(),
        kind: CredentialKind::Database,
        username: None,
        url: None,
        tags: vec![],
        client_id: None,
        project_id: None,
        secret: "postgres://u:hunter2@db".into(),
        notes: Some("hunter3".into()),
        rotate_after_days: None,
    };
    let mut update = UpdateCredential::default();
    update.secret = Some("hunter4".into());
    let printed = format!("{create:?} {update:?}");
    assert!(!printed.contains("hunter"), "{printed}");
}
