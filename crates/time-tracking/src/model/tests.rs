//! Every view, written by serde exactly as its schema (`ToJSON`) says,
//! with its optional fields set and unset.
//!
//! Full struct literals, never `..`: a new field fails to compile here until
//! it is tested both ways.

use chrono::{DateTime, NaiveDate};
use trellis_kernel::{Timestamp, id::UserId, testing::assert_same_json};

use super::*;
use crate::ids::{AgencyClientId, CommentId, ProjectId, TaskId, TimeEntryId};

fn at(secs: i64) -> Timestamp {
    Timestamp(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
}

#[test]
fn clients() {
    for set in [true, false] {
        let view = assert_same_json(&AgencyClientView {
            id: AgencyClientId::new(),
            name: "Acme – “Web”".into(),
            email: set.then(|| "ops@acme.example".into()),
            phone: set.then(|| "+351912345678".into()),
            address: set.then(|| "Rua 1\n1000-001 Lisboa".into()),
            currency: "EUR".into(),
            hourly_rate_minor: set.then_some(9_500),
            archived: !set,
            created_at: at(1_790_000_000),
            updated_at: Timestamp(
                DateTime::from_timestamp(1_790_000_001, 123_456_000).unwrap_or_default(),
            ),
        });
        if !set {
            assert!(view.get("email").is_none(), "absent, not null: {view}");
        }
    }
}

#[test]
fn projects() {
    for status in [ProjectStatus::Active, ProjectStatus::Archived] {
        for set in [true, false] {
            assert_same_json(&ProjectView {
                id: ProjectId::new(),
                client_id: AgencyClientId::new(),
                name: "Website".into(),
                code: set.then(|| "ACME-WEB".into()),
                status,
                billable: set,
                hourly_rate_minor: set.then_some(0),
                budget_hours: set.then_some(120),
                color: set.then(|| "#1a2b3c".into()),
                created_at: at(1_790_000_000),
                updated_at: at(1_790_000_000),
            });
        }
    }
}

#[test]
fn tasks_and_comments() {
    for (status, priority) in [
        (TaskStatus::Todo, TaskPriority::Low),
        (TaskStatus::InProgress, TaskPriority::Normal),
        (TaskStatus::Done, TaskPriority::High),
        (TaskStatus::Done, TaskPriority::Urgent),
    ] {
        for set in [true, false] {
            assert_same_json(&TaskView {
                id: TaskId::new(),
                project_id: ProjectId::new(),
                title: "Home page".into(),
                description: set.then(|| "hero, *copy*".into()),
                status,
                priority,
                assignee_id: set.then(UserId::new),
                due_on: set.then(|| day(30)),
                estimate_minutes: set.then_some(90),
                created_by: set.then(UserId::new),
                created_at: at(1_790_000_000),
                updated_at: at(1_790_000_000),
            });
        }
    }
    for set in [true, false] {
        assert_same_json(&CommentView {
            id: CommentId::new(),
            task_id: TaskId::new(),
            author_id: set.then(UserId::new),
            body: "done ✓".into(),
            created_at: at(1_790_000_000),
            edited_at: set.then(|| at(1_790_000_100)),
        });
    }
}

#[test]
fn time_entries() {
    for set in [true, false] {
        let view = assert_same_json(&TimeEntryView {
            id: TimeEntryId::new(),
            user_id: UserId::new(),
            project_id: ProjectId::new(),
            task_id: set.then(TaskId::new),
            description: set.then(|| "calls".into()),
            start_at: at(1_790_000_000),
            end_at: set.then(|| at(1_790_003_600)),
            duration_seconds: set.then_some(3_600),
            billable: set,
            rate_minor: set.then_some(9_500),
            currency: "EUR".into(),
            billed_invoice_id: set.then(uuid::Uuid::now_v7),
            created_at: at(1_790_000_000),
            updated_at: at(1_790_000_000),
        });
        if !set {
            assert!(view.get("end_at").is_none(), "a running entry has no end");
        }
    }
}

#[test]
fn settings() {
    for mode in [RoundingMode::Up, RoundingMode::Down, RoundingMode::Nearest] {
        assert_same_json(&TimeSettingsView {
            time_zone: "Europe/Lisbon".into(),
            allow_overlaps: true,
            lock_date: Some(day(1)),
            rounding: Some(RoundingRule { mode, minutes: 15 }),
        });
    }
    assert_same_json(&TimeSettingsView {
        time_zone: "UTC".into(),
        allow_overlaps: false,
        lock_date: None,
        rounding: None,
    });
}

#[test]
fn reports() {
    let amounts = vec![
        MoneyAmount {
            currency: "EUR".into(),
            amount_minor: 12_345,
        },
        MoneyAmount {
            currency: "USD".into(),
            amount_minor: 0,
        },
    ];
    for group_by in [
        GroupBy::Client,
        GroupBy::Project,
        GroupBy::User,
        GroupBy::Task,
        GroupBy::Day,
        GroupBy::Week,
    ] {
        assert_same_json(&SummaryReport {
            time_zone: "America/New_York".into(),
            from: day(1),
            to: day(30),
            group_by,
            groups: vec![
                SummaryGroup {
                    key: "2026-11-02".into(),
                    label: None,
                    email: None,
                    seconds: 7_200,
                    billable_seconds: 3_600,
                    amounts: amounts.clone(),
                },
                SummaryGroup {
                    key: "none".into(),
                    label: Some("Design".into()),
                    email: Some("ada@example.com".into()),
                    seconds: 60,
                    billable_seconds: 0,
                    amounts: vec![],
                },
            ],
            total: SummaryTotal {
                seconds: 7_260,
                billable_seconds: 3_600,
                amounts: amounts.clone(),
            },
        });
    }
}

#[test]
fn bulk_reports() {
    for outcome in [
        BulkOutcome::Ok,
        BulkOutcome::NotFound,
        BulkOutcome::Conflict,
    ] {
        for set in [true, false] {
            let view = assert_same_json(&BulkReport {
                ok: 1,
                not_found: 0,
                conflict: u32::from(set),
                results: vec![BulkItemResult {
                    id: uuid::Uuid::now_v7(),
                    outcome,
                    code: set.then(|| "task.in_use".into()),
                    reason: set.then(|| "time was logged on this task".into()),
                }],
            });
            if !set {
                assert!(view["results"][0].get("code").is_none());
            }
        }
    }
}
