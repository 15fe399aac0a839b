//! Every view the gateway returns, written by serde exactly as its schema
//! (`ToJSON`) says, with its optional fields set and unset.
//!
//! Full struct literals, never `..`: a new field fails to compile here until
//! it is tested both ways.

use chrono::{DateTime, NaiveDate};
use trellis_kernel::{Timestamp, id::OrgId, testing::assert_same_json, types::LocalTime};

use super::*;
use crate::{
    ids::{AppointmentId, ClientId, NoteId, ProfessionalId, RecurringId, ServiceId, TimeOffId},
    status::AppointmentStatus,
};

fn at(secs: i64) -> Timestamp {
    Timestamp(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

fn appointment(status: AppointmentStatus, set: bool) -> AppointmentView {
    AppointmentView {
        id: AppointmentId::new(),
        status,
        start_at: at(1_790_000_000),
        end_at: at(1_790_003_600),
        service_id: ServiceId::new(),
        client_id: ClientId::new(),
        price_minor: 4_500,
        currency: "EUR".into(),
        notes: set.then(|| "second floor\nring twice".into()),
        cancel_reason: set.then(|| "ill".into()),
        rescheduled_from: set.then(AppointmentId::new),
        created_at: Timestamp(
            DateTime::from_timestamp(1_789_000_000, 123_456_789).unwrap_or_default(),
        ),
    }
}

fn service(set: bool) -> ServiceView {
    ServiceView {
        id: ServiceId::new(),
        name: "Haircut".into(),
        duration_minutes: 45,
        price_minor: if set { 0 } else { 4_500 },
        currency: "EUR".into(),
        buffer_before_minutes: 0,
        buffer_after_minutes: 10,
        min_notice_minutes: 60,
        max_advance_days: 60,
        slot_increment_minutes: 15,
        requires_confirmation: set,
        cancellation_notice_minutes: 1_440,
        active: !set,
    }
}

#[test]
fn appointments_in_every_status() {
    for status in [
        AppointmentStatus::Pending,
        AppointmentStatus::Confirmed,
        AppointmentStatus::Completed,
        AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow,
        AppointmentStatus::Rescheduled,
    ] {
        assert_same_json(&appointment(status, true));
        let bare = assert_same_json(&appointment(status, false));
        assert!(bare.get("notes").is_none(), "absent, not null: {bare}");
    }
    assert_same_json(&vec![
        appointment(AppointmentStatus::Pending, true),
        appointment(AppointmentStatus::Pending, false),
    ]);
}

#[test]
fn availability_time_off_and_slots() {
    let rule = AvailabilityRule {
        weekday: 1,
        start: LocalTime::parse("09:00").unwrap(),
        end: LocalTime::parse("24:00").unwrap(),
    };
    assert_same_json(&Availability {
        rules: vec![rule.clone()],
        time_zone: Some("Europe/Lisbon".into()),
    });
    assert_same_json(&Availability {
        rules: vec![],
        time_zone: None,
    });
    assert_same_json(&TimeOffView {
        id: TimeOffId::new(),
        start_at: at(1_790_000_000),
        end_at: at(1_790_086_400),
        reason: Some("holiday".into()),
    });
    assert_same_json(&TimeOffView {
        id: TimeOffId::new(),
        start_at: at(1_790_000_000),
        end_at: at(1_790_086_400),
        reason: None,
    });
    assert_same_json(&Slots {
        time_zone: "America/Sao_Paulo".into(),
        slots: vec![SlotView {
            start_at: at(1_790_000_000),
            end_at: at(1_790_002_700),
            local_start: "2026-09-21T11:13-03:00".into(),
        }],
    });
}

#[test]
fn services_clients_and_notes() {
    assert_same_json(&service(true));
    assert_same_json(&service(false));
    assert_same_json(&ClientView {
        id: ClientId::new(),
        name: "Bia".into(),
        phone: Some("+5511912345678".into()),
        email: Some("bia@example.com".into()),
        created_at: at(1_790_000_000),
    });
    assert_same_json(&ClientView {
        id: ClientId::new(),
        name: "Bia".into(),
        phone: None,
        email: None,
        created_at: at(1_790_000_000),
    });
    assert_same_json(&NoteView {
        id: NoteId::new(),
        body: "prefers mornings – “always”".into(),
        created_at: at(1_790_000_000),
    });
}

#[test]
fn professionals() {
    assert_same_json(&ProfessionalView {
        id: ProfessionalId::new(),
        slug: "ana-lima".into(),
        name: "Ana".into(),
        bio: Some("Cuts".into()),
        time_zone: "Europe/Lisbon".into(),
        org_id: OrgId::new(),
        created_at: at(1_790_000_000),
    });
    assert_same_json(&ProfessionalView {
        id: ProfessionalId::new(),
        slug: "ana-lima".into(),
        name: "Ana".into(),
        bio: None,
        time_zone: "Europe/Lisbon".into(),
        org_id: OrgId::new(),
        created_at: at(1_790_000_000),
    });
    for average in [4.67, 5.0, 1.0 / 3.0] {
        assert_same_json(&PublicProfessional {
            slug: "ana-lima".into(),
            name: "Ana".into(),
            bio: Some("Cuts".into()),
            time_zone: "Europe/Lisbon".into(),
            services: vec![service(true), service(false)],
            rating_average: Some(average),
            rating_count: 3,
            follower_count: u64::MAX,
        });
    }
    assert_same_json(&PublicProfessional {
        slug: "ana-lima".into(),
        name: "Ana".into(),
        bio: None,
        time_zone: "Europe/Lisbon".into(),
        services: vec![],
        rating_average: None,
        rating_count: 0,
        follower_count: 0,
    });
}

#[test]
fn recurring_schedules() {
    let schedule = |set: bool| RecurringView {
        id: RecurringId::new(),
        client_id: ClientId::new(),
        service_id: ServiceId::new(),
        weekday: 7,
        time: "07:05".into(),
        interval_weeks: 2,
        starts_on: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
        until: set.then(|| NaiveDate::from_ymd_opt(2026, 12, 28).unwrap_or_default()),
        count: set.then_some(520),
        created_at: at(1_790_000_000),
    };
    assert_same_json(&schedule(true));
    assert_same_json(&schedule(false));
    assert_same_json(&RecurringCreated {
        schedule: schedule(true),
        materialized: Materialized {
            created: vec![appointment(AppointmentStatus::Confirmed, false)],
            conflicts: vec![RecurringConflict {
                start_at: at(1_790_604_800),
                code: "appointment.slot_taken".into(),
            }],
        },
    });
    assert_same_json(&RecurringCreated {
        schedule: schedule(false),
        materialized: Materialized {
            created: vec![],
            conflicts: vec![],
        },
    });
}

#[test]
fn revenue() {
    for group in [RevenueGroup::Day, RevenueGroup::Week, RevenueGroup::Month] {
        assert_same_json(&RevenueReport {
            time_zone: "Europe/Lisbon".into(),
            group,
            periods: vec![RevenuePeriod {
                period: "2026-09-01".into(),
                currency: "EUR".into(),
                appointments: 3,
                total_minor: -1,
            }],
        });
    }
}

#[test]
fn follows_and_reviews() {
    assert_same_json(&FollowView {
        slug: "ana-lima".into(),
        name: "Ana".into(),
        followed_at: at(1_790_000_000),
    });
    assert_same_json(&ReviewView {
        id: uuid::Uuid::now_v7(),
        rating: 5,
        text: Some("great".into()),
        created_at: at(1_790_000_000),
    });
    assert_same_json(&ReviewView {
        id: uuid::Uuid::now_v7(),
        rating: 1,
        text: None,
        created_at: at(1_790_000_000),
    });
}
