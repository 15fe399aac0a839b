//! Identity services on a real database (SQLite in memory by default, a fresh
//! PostgreSQL database when TEST_DATABASE_URL is set), with a manual clock so
//! expiry and grace windows are tested without waiting.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use sea_orm_migration::MigratorTrait;
use trellis_identity::{
    Error, Identity, IdentityConfig, IdentityDeps,
    model::{
        AddMemberCommand, ClientInfo, CreateOrgCommand, LoginCommand, OtpRequestCommand,
        OtpVerifyCommand, PasswordResetConfirm, PasswordResetRequest, RegisterCommand,
    },
    password::Passwords,
    service::MembershipDirectory,
};
use trellis_kernel::clock::Clock;
use trellis_kernel::{
    Principal,
    auth::{TokenCodec, TokenError, TokenSettings},
    clock::ManualClock,
    notify::{self, Notice, NotificationRequest},
    ports::{Memberships, OrgRole, require_org_role},
    testing::{TestDatabase, fresh_connection},
};

/// The notifications identity requested in the event outbox, oldest first.
async fn requested(db: &DatabaseConnection) -> Vec<NotificationRequest> {
    use trellis_kernel::outbox::entity::event;
    event::Entity::find()
        .filter(event::Column::Kind.eq(notify::REQUESTED))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            let request: NotificationRequest = serde_json::from_str(&row.payload).unwrap();
            assert_eq!(
                row.sensitive,
                request.notice.is_secret(),
                "requests carrying links and codes are sensitive"
            );
            request
        })
        .collect()
}

struct World {
    db: DatabaseConnection,
    identity: Identity,
    clock: ManualClock,
    tokens: TokenCodec,
    _guard: TestDatabase,
}

async fn world() -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    let tokens = TokenCodec::new(
        TokenSettings {
            secret: vec![42; 32],
            issuer: "trellis".into(),
            audience: "trellis-api".into(),
            access_ttl: Duration::minutes(15),
        },
        Arc::new(clock.clone()),
    );
    let identity = Identity::new(IdentityDeps {
        entitlements: std::sync::Arc::new(trellis_kernel::ports::Unlimited),
        clock: Arc::new(clock.clone()),
        tokens: tokens.clone(),
        passwords: Passwords::new(),
        config: Arc::new(IdentityConfig::default()),
    });
    World {
        db,
        identity,
        clock,
        tokens,
        _guard: guard,
    }
}

const PASSWORD: &str = "correct horse battery staple";

async fn register(w: &World, email: &str) -> trellis_identity::model::AuthTokens {
    w.identity
        .accounts
        .register(
            &w.db,
            RegisterCommand {
                email: email.parse().unwrap(),
                password: PASSWORD.into(),
                name: None,
            },
            &ClientInfo::default(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn the_grace_window_absorbs_a_quick_reuse_but_not_a_late_one() {
    let w = world().await;
    let first = register(&w, "grace@example.com").await;
    let second = w
        .identity
        .sessions
        .refresh(&w.db, &first.refresh_token, None)
        .await
        .unwrap();

    w.clock.advance(Duration::seconds(9));
    let sibling = w
        .identity
        .sessions
        .refresh(&w.db, &first.refresh_token, None)
        .await;
    assert!(sibling.is_ok(), "within 10 s the old token still works");

    w.clock.advance(Duration::seconds(2));
    let late = w
        .identity
        .sessions
        .refresh(&w.db, &first.refresh_token, None)
        .await;
    assert!(matches!(late, Err(Error::RefreshTokenReused)));
    let after = w
        .identity
        .sessions
        .refresh(&w.db, &second.refresh_token, None)
        .await;
    assert!(
        matches!(after, Err(Error::InvalidRefreshToken)),
        "the family is revoked"
    );
}

#[tokio::test]
async fn tokens_expire_by_the_clock() {
    let w = world().await;
    let tokens = register(&w, "expiry@example.com").await;
    assert!(w.tokens.verify(&tokens.access_token).is_ok());
    w.clock.advance(Duration::minutes(15));
    assert_eq!(
        w.tokens.verify(&tokens.access_token),
        Err(TokenError::Expired)
    );

    w.clock.advance(Duration::days(30));
    let refresh = w
        .identity
        .sessions
        .refresh(&w.db, &tokens.refresh_token, None)
        .await;
    assert!(
        matches!(refresh, Err(Error::InvalidRefreshToken)),
        "refresh tokens live 30 days"
    );
}

#[tokio::test]
async fn reset_links_expire_after_an_hour() {
    let w = world().await;
    register(&w, "late@example.com").await;
    w.identity
        .links
        .request_reset(
            &w.db,
            PasswordResetRequest {
                email: "LATE@example.com".into(),
            },
        )
        .await
        .unwrap();
    // Requested in the same transaction as the link: there, no waiting.
    let request = requested(&w.db).await.pop().unwrap();
    assert_eq!(
        request.recipient.email.as_ref().map(|e| e.as_str()),
        Some("late@example.com")
    );
    let Notice::PasswordReset(reset) = request.notice else {
        panic!(
            "a reset link was requested, not {:?}",
            request.notice.kind()
        );
    };
    assert_eq!(reset.expires_at, w.clock.now() + Duration::minutes(60));
    let token = reset.link.split("token=").nth(1).unwrap().to_string();
    w.clock.advance(Duration::minutes(61));
    let result = w
        .identity
        .links
        .confirm_reset(
            &w.db,
            PasswordResetConfirm {
                token,
                new_password: "a different passphrase".into(),
            },
        )
        .await;
    assert!(matches!(result, Err(Error::InvalidLink)));
}

#[tokio::test]
async fn phone_codes_expire_after_five_minutes() {
    let w = world().await;
    let phone = "+351912000111";
    w.identity
        .otp
        .request(
            &w.db,
            OtpRequestCommand {
                phone: phone.parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let request = requested(&w.db).await.pop().unwrap();
    assert_eq!(
        request.recipient.phone.as_ref().map(|p| p.as_str()),
        Some(phone)
    );
    let Notice::OtpCode(otp) = request.notice else {
        panic!("a code was requested, not {:?}", request.notice.kind());
    };
    assert_eq!(otp.valid_minutes, 5);
    let code = otp.code;
    w.clock.advance(Duration::minutes(5));
    let result = w
        .identity
        .otp
        .verify(
            &w.db,
            OtpVerifyCommand {
                phone: phone.parse().unwrap(),
                code,
            },
            &ClientInfo::default(),
        )
        .await;
    assert!(matches!(result, Err(Error::OtpExpired)));
}

#[tokio::test]
async fn memberships_answer_roles_for_other_domains() {
    let w = world().await;
    let owner = register(&w, "owner@example.com").await;
    let member = register(&w, "member@example.com").await;
    let principal = w.tokens.verify(&owner.access_token).unwrap();
    let org = w
        .identity
        .orgs
        .create(
            &w.db,
            &principal,
            CreateOrgCommand {
                name: "Acme".into(),
            },
        )
        .await
        .unwrap();
    let directory = MembershipDirectory::new(w.db.clone());
    let access = require_org_role(&directory, &principal, org.id, OrgRole::Admin)
        .await
        .unwrap();
    w.identity
        .orgs
        .add_member(
            &w.db,
            &access,
            AddMemberCommand {
                email: "member@example.com".parse().unwrap(),
                role: OrgRole::Member,
            },
        )
        .await
        .unwrap();

    assert_eq!(
        directory.role_of(principal.user_id, org.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(
        directory.role_of(member.user.id, org.id).await.unwrap(),
        Some(OrgRole::Member)
    );
    let stranger = register(&w, "stranger@example.com").await;
    assert_eq!(
        directory.role_of(stranger.user.id, org.id).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn deactivated_users_cannot_sign_in() {
    let w = world().await;
    let tokens = register(&w, "gone@example.com").await;
    let admin = Principal {
        user_id: tokens.user.id,
        session_id: trellis_kernel::id::SessionId::new(),
        roles: vec![trellis_kernel::Role::Admin],
        anonymous: false,
    };
    w.identity
        .staff
        .update(
            &w.db,
            &admin,
            tokens.user.id,
            trellis_identity::model::StaffUserPatch {
                roles: None,
                deactivated: Some(true),
            },
        )
        .await
        .unwrap();
    let login = w
        .identity
        .accounts
        .login(
            &w.db,
            LoginCommand {
                email: "gone@example.com".into(),
                password: PASSWORD.into(),
            },
            &ClientInfo::default(),
        )
        .await;
    assert!(matches!(login, Err(Error::Deactivated)));
    let refresh = w
        .identity
        .sessions
        .refresh(&w.db, &tokens.refresh_token, None)
        .await;
    assert!(refresh.is_err());
}

#[tokio::test]
async fn without_a_text_channel_no_code_is_made_or_requested() {
    let w = world().await;
    let identity = Identity::new(IdentityDeps {
        entitlements: std::sync::Arc::new(trellis_kernel::ports::Unlimited),
        clock: Arc::new(w.clock.clone()),
        tokens: w.tokens.clone(),
        passwords: Passwords::new(),
        config: Arc::new(IdentityConfig {
            sms_enabled: false,
            ..IdentityConfig::default()
        }),
    });
    let result = identity
        .otp
        .request(
            &w.db,
            OtpRequestCommand {
                phone: "+351912000222".parse().unwrap(),
            },
        )
        .await;
    assert!(matches!(result, Err(Error::SmsUnavailable)), "{result:?}");
    assert!(requested(&w.db).await.is_empty());
}
