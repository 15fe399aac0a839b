//! Every view the gateway returns, written by serde exactly as its schema
//! (`ToJSON`) says, with its optional fields set and unset.
//!
//! Full struct literals, never `..`: a new field fails to compile here until
//! it is tested both ways.

use chrono::DateTime;
use trellis_kernel::{
    Role, Timestamp,
    id::{OrgId, SessionId, UserId},
    ports::OrgRole,
    testing::assert_same_json,
};

use super::*;

fn at(secs: i64) -> Timestamp {
    Timestamp(DateTime::from_timestamp(secs, 250_000_000).unwrap_or_default())
}

fn summary(set: bool) -> UserSummary {
    UserSummary {
        id: UserId::new(),
        email: set.then(|| "ana@example.com".into()),
        name: set.then(|| "Ana \"Lima\"".into()),
        anonymous: !set,
    }
}

#[test]
fn user_summary_and_tokens() {
    let bare = assert_same_json(&summary(false));
    assert!(bare.get("email").is_none(), "absent, not null: {bare}");
    assert_same_json(&summary(true));
    for set in [true, false] {
        assert_same_json(&AuthTokens {
            access_token: "a.b.c".into(),
            refresh_token: "r".into(),
            token_type: "Bearer".into(),
            expires_in: 900,
            user: summary(set),
        });
        assert_same_json(&AccessToken {
            access_token: "a.b.c".into(),
            token_type: "Bearer".into(),
            expires_in: 900,
            user: summary(set),
        });
    }
}

#[test]
fn profile() {
    assert_same_json(&Profile {
        id: UserId::new(),
        email: Some("ana@example.com".into()),
        email_verified: true,
        name: Some("Ana".into()),
        phone: Some("+351912345678".into()),
        verified_phone: Some("+351912345678".into()),
        locale: Some("pt-BR".into()),
        time_zone: Some("Europe/Lisbon".into()),
        anonymous: false,
        roles: vec![Role::Staff, Role::Admin],
        created_at: at(1_790_000_000),
    });
    assert_same_json(&Profile {
        id: UserId::new(),
        email: None,
        email_verified: false,
        name: None,
        phone: None,
        verified_phone: None,
        locale: None,
        time_zone: None,
        anonymous: true,
        roles: vec![],
        created_at: at(0),
    });
}

#[test]
fn orgs_and_members() {
    assert_same_json(&OrgView {
        id: OrgId::new(),
        name: "Studio".into(),
        role: OrgRole::Owner,
        created_at: at(1_790_000_000),
    });
    assert_same_json(&MemberView {
        user_id: UserId::new(),
        email: Some("ana@example.com".into()),
        name: Some("Ana".into()),
        role: OrgRole::Admin,
        created_at: at(1_790_000_000),
    });
    assert_same_json(&MemberView {
        user_id: UserId::new(),
        email: None,
        name: None,
        role: OrgRole::Member,
        created_at: at(1_790_000_000),
    });
}

#[test]
fn otp_sent() {
    assert_same_json(&OtpSent {
        expires_in: 300,
        resend_after: 60,
    });
}

#[test]
fn sessions() {
    assert_same_json(&SessionView {
        id: SessionId::new(),
        created_at: at(1_790_000_000),
        last_used_at: at(1_790_000_100),
        expires_at: at(1_792_000_000),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        ip: Some("2001:db8::1".into()),
        current: true,
    });
    assert_same_json(&SessionView {
        id: SessionId::new(),
        created_at: at(1_790_000_000),
        last_used_at: at(1_790_000_100),
        expires_at: at(1_792_000_000),
        user_agent: None,
        ip: None,
        current: false,
    });
}

#[test]
fn staff_user_view() {
    assert_same_json(&StaffUserView {
        id: UserId::new(),
        email: Some("ana@example.com".into()),
        name: Some("Ana".into()),
        verified_phone: Some("+351912345678".into()),
        roles: vec![Role::Staff],
        anonymous: false,
        deactivated_at: Some(at(1_791_000_000)),
        created_at: at(1_790_000_000),
    });
    assert_same_json(&StaffUserView {
        id: UserId::new(),
        email: None,
        name: None,
        verified_phone: None,
        roles: vec![],
        anonymous: true,
        deactivated_at: None,
        created_at: at(1_790_000_000),
    });
}
