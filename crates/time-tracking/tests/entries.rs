//! Time entries and timers: the single running timer (enforced by the
//! database), overlaps, the lock date, rounding, ownership, rate snapshots
//! and the billing hand-off.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use std::time::Duration as StdDuration;
use trellis_kernel::db::WriteTransaction;

use chrono::{Duration, NaiveDate};
use common::{World, entry, t, world};
use poem_openapi::types::MaybeUndefined;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, SqlErr, Statement};
use trellis_kernel::{
    DomainError, PageRequest,
    id::UserId,
    ports::{OrgAccess, OrgRole},
    types::TimeZone,
};
use trellis_time_tracking::{
    Error,
    ids::{ProjectId, TimeEntryId},
    model::{
        RoundingMode, RoundingRule, StartTimer, TimeEntryFilter, UpdateAgencyClient, UpdateProject,
        UpdateTimeEntry, UpdateTimeSettings,
    },
};

fn timer(project: ProjectId) -> StartTimer {
    StartTimer {
        project_id: project,
        task_id: None,
        description: None,
        billable: None,
    }
}

/// Inserts a running entry with raw SQL, as a buggy or concurrent writer would.
async fn insert_running(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    project: ProjectId,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let p: Vec<String> = (1..=5)
        .map(|i| {
            if backend == DbBackend::Postgres {
                format!("${i}")
            } else {
                format!("?{i}")
            }
        })
        .collect();
    let sql = format!(
        "INSERT INTO time_entries (id, org_id, user_id, project_id, start_at, billable, \
         currency, created_at, updated_at) \
         VALUES ({}, {}, {}, {}, {}, true, 'EUR', {}, {})",
        p[0], p[1], p[2], p[3], p[4], p[4], p[4]
    );
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            TimeEntryId::new().0.into(),
            access.org_id().0.into(),
            access.user_id().0.into(),
            project.0.into(),
            t("2026-11-23T11:00:00Z").into(),
        ],
    ))
    .await
    .map(drop)
}

async fn running_count(w: &World, access: &OrgAccess) -> usize {
    w.tt.entries
        .list(
            &w.db,
            access,
            TimeEntryFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .iter()
        .filter(|e| e.end_at.is_none() && e.user_id == access.user_id())
        .count()
}

async fn settings(w: &World, admin: &OrgAccess, cmd: UpdateTimeSettings) {
    w.tt.settings.update(&w.db, admin, cmd).await.unwrap();
}

/// An agency with a EUR client at 100.00/h and a project without its own rate.
async fn setup(w: &World) -> (OrgAccess, ProjectId) {
    let admin = w.agency().await;
    let client = w.client(&admin, "EUR", Some(10_000)).await;
    let project = w.project(&admin, client.id, None).await;
    (admin, project.id)
}

#[tokio::test]
async fn a_timer_runs_until_stopped_or_replaced() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    assert!(matches!(
        w.tt.entries.stop_timer(&w.db, &admin).await,
        Err(Error::NoTimer)
    ));

    let first =
        w.tt.entries
            .start_timer(&w.db, &admin, timer(project))
            .await
            .unwrap();
    assert_eq!(first.start_at.0, t("2026-11-23T12:00:00Z"));
    assert_eq!((first.end_at, first.duration_seconds), (None, None));
    assert_eq!(first.rate_minor, Some(10_000));
    assert_eq!(
        w.tt.entries
            .running(&w.db, &admin)
            .await
            .unwrap()
            .map(|e| e.id),
        Some(first.id)
    );

    // Starting another stops the first at the same instant.
    w.clock.advance(Duration::minutes(30));
    let second =
        w.tt.entries
            .start_timer(&w.db, &admin, timer(project))
            .await
            .unwrap();
    let first = w.tt.entries.get(&w.db, &admin, first.id).await.unwrap();
    assert_eq!(first.end_at, Some(second.start_at));
    assert_eq!(first.duration_seconds, Some(1_800));
    assert_eq!(running_count(&w, &admin).await, 1);

    w.clock.advance(Duration::minutes(15));
    let stopped = w.tt.entries.stop_timer(&w.db, &admin).await.unwrap();
    assert_eq!(stopped.id, second.id);
    assert_eq!(stopped.duration_seconds, Some(900));
    assert_eq!(w.tt.entries.running(&w.db, &admin).await.unwrap(), None);
    let again = w.tt.entries.stop_timer(&w.db, &admin).await.err().unwrap();
    assert_eq!(
        (again.kind().status(), again.code()),
        (409, "time_entry.no_timer")
    );

    // Each member has a timer of their own.
    let colleague = w.member(admin.org_id(), OrgRole::Member).await;
    w.tt.entries
        .start_timer(&w.db, &admin, timer(project))
        .await
        .unwrap();
    w.tt.entries
        .start_timer(&w.db, &colleague, timer(project))
        .await
        .unwrap();
    assert_eq!(running_count(&w, &admin).await, 1);
    assert_eq!(running_count(&w, &colleague).await, 1);
}

#[tokio::test]
async fn the_database_allows_one_running_timer_per_person() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    // Overlaps allowed, so only the index stands in the way.
    settings(
        &w,
        &admin,
        UpdateTimeSettings {
            allow_overlaps: Some(true),
            ..UpdateTimeSettings::default()
        },
    )
    .await;
    w.tt.entries
        .start_timer(&w.db, &admin, timer(project))
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(10));

    // A second running row written directly is refused by the partial unique index.
    let err = insert_running(&w.db, &admin, project).await.err().unwrap();
    assert!(
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        "{err}"
    );
    // Stopped entries are not constrained.
    w.tt.entries.stop_timer(&w.db, &admin).await.unwrap();
    insert_running(&w.db, &admin, project).await.unwrap();
    w.tt.entries.stop_timer(&w.db, &admin).await.unwrap();

    // Concurrent starts: every one succeeds or is refused as a conflict,
    // and one timer is left running.
    let starts = futures_like_join(&w, &admin, project).await;
    for result in starts {
        if let Err(err) = result {
            assert!(matches!(err, Error::TimerRunning), "{err:?}");
        }
    }
    assert_eq!(running_count(&w, &admin).await, 1);
}

/// Four starts at once.
async fn futures_like_join(
    w: &World,
    access: &OrgAccess,
    project: ProjectId,
) -> Vec<Result<trellis_time_tracking::model::TimeEntryView, Error>> {
    let (a, b, c, d) = tokio::join!(
        w.tt.entries.start_timer(&w.db, access, timer(project)),
        w.tt.entries.start_timer(&w.db, access, timer(project)),
        w.tt.entries.start_timer(&w.db, access, timer(project)),
        w.tt.entries.start_timer(&w.db, access, timer(project)),
    );
    vec![a, b, c, d]
}

#[tokio::test]
async fn a_running_row_committed_under_a_start_maps_to_409() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    settings(
        &w,
        &admin,
        UpdateTimeSettings {
            allow_overlaps: Some(true),
            ..UpdateTimeSettings::default()
        },
    )
    .await;
    // Another writer holds an uncommitted running entry of the same person.
    let other = w.db.begin_write().await.unwrap();
    insert_running(&other, &admin, project).await.unwrap();
    let start = w.tt.entries.start_timer(&w.db, &admin, timer(project));
    let commit = async {
        // On PostgreSQL, commit once the start waits on the other's row
        // (its insert blocked by the index), so the race always goes the
        // same way; SQLite serializes writers, and any moment will do.
        if w.db.get_database_backend() == DbBackend::Postgres {
            for _ in 0..500 {
                let waiting =
                    w.db.query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT COUNT(*) AS n FROM pg_stat_activity \
                         WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    ))
                    .await
                    .unwrap()
                    .and_then(|row| row.try_get::<i64>("", "n").ok())
                    .unwrap_or(0);
                if waiting > 0 {
                    break;
                }
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
        } else {
            tokio::time::sleep(StdDuration::from_millis(300)).await;
        }
        other.commit().await.unwrap();
    };
    let (started, ()) = tokio::join!(start, commit);
    match w.db.get_database_backend() {
        // PostgreSQL: the start did not see the row, its insert waited on the
        // index and failed when the other committed: a 409, not a 500.
        DbBackend::Postgres => {
            let err = started.err().unwrap();
            assert!(matches!(err, Error::TimerRunning), "{err:?}");
            assert_eq!(err.kind().status(), 409);
        }
        // SQLite: the start waited for the writer lock, then saw and
        // stopped the committed timer before starting its own.
        _ => {
            started.unwrap();
        }
    }
    assert_eq!(running_count(&w, &admin).await, 1);
}

#[tokio::test]
async fn one_persons_entries_do_not_overlap_unless_allowed() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    let nine = w
        .log(
            &admin,
            project,
            "2026-11-20T09:00:00Z",
            "2026-11-20T10:00:00Z",
        )
        .await
        .unwrap();
    let err = w
        .log(
            &admin,
            project,
            "2026-11-20T09:30:00Z",
            "2026-11-20T10:30:00Z",
        )
        .await
        .err()
        .unwrap();
    assert_eq!(
        (err.kind().status(), err.code()),
        (409, "time_entry.overlap")
    );
    assert!(matches!(
        w.log(
            &admin,
            project,
            "2026-11-20T08:00:00Z",
            "2026-11-20T11:00:00Z"
        )
        .await,
        Err(Error::Overlap)
    ));
    // Back to back is fine.
    w.log(
        &admin,
        project,
        "2026-11-20T10:00:00Z",
        "2026-11-20T11:00:00Z",
    )
    .await
    .unwrap();
    // An edit is checked against the others, not itself.
    let shorter =
        w.tt.entries
            .update(
                &w.db,
                &admin,
                nine.id,
                UpdateTimeEntry {
                    start_at: Some(t("2026-11-20T09:15:00Z")),
                    ..UpdateTimeEntry::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(shorter.duration_seconds, Some(2_700));
    assert!(matches!(
        w.tt.entries
            .update(
                &w.db,
                &admin,
                nine.id,
                UpdateTimeEntry {
                    end_at: Some(t("2026-11-20T10:15:00Z")),
                    ..UpdateTimeEntry::default()
                },
            )
            .await,
        Err(Error::Overlap)
    ));
    // Someone else may work at the same time.
    let colleague = w.member(admin.org_id(), OrgRole::Member).await;
    w.log(
        &colleague,
        project,
        "2026-11-20T09:30:00Z",
        "2026-11-20T10:30:00Z",
    )
    .await
    .unwrap();
    // A running timer holds everything from its start on.
    w.tt.entries
        .start_timer(&w.db, &admin, timer(project))
        .await
        .unwrap();
    assert!(matches!(
        w.log(
            &admin,
            project,
            "2026-11-23T12:30:00Z",
            "2026-11-23T13:00:00Z"
        )
        .await,
        Err(Error::Overlap)
    ));
    w.log(
        &admin,
        project,
        "2026-11-23T11:00:00Z",
        "2026-11-23T12:00:00Z",
    )
    .await
    .unwrap();
    // An organization that allows overlaps takes them.
    settings(
        &w,
        &admin,
        UpdateTimeSettings {
            allow_overlaps: Some(true),
            ..UpdateTimeSettings::default()
        },
    )
    .await;
    w.log(
        &admin,
        project,
        "2026-11-20T09:30:00Z",
        "2026-11-20T10:30:00Z",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_lock_date_binds_members_not_admins() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    // Members cannot change the settings.
    let refused =
        w.tt.settings
            .update(&w.db, &member, UpdateTimeSettings::default())
            .await
            .err()
            .unwrap();
    assert_eq!(
        (refused.kind().status(), refused.code()),
        (403, "org.role_required")
    );

    // The member's entries, logged before the lock.
    let before = w
        .log(
            &member,
            project,
            "2026-11-19T09:00:00Z",
            "2026-11-19T10:00:00Z",
        )
        .await
        .unwrap();
    let late_evening = w
        .log(
            &member,
            project,
            "2026-11-20T04:00:00Z",
            "2026-11-20T04:30:00Z",
        )
        .await
        .unwrap();
    let after = w
        .log(
            &member,
            project,
            "2026-11-21T09:00:00Z",
            "2026-11-21T10:00:00Z",
        )
        .await
        .unwrap();
    settings(
        &w,
        &admin,
        UpdateTimeSettings {
            time_zone: Some(TimeZone::parse("America/New_York").unwrap()),
            lock_date: MaybeUndefined::Value(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
            ..UpdateTimeSettings::default()
        },
    )
    .await;
    let view = w.tt.settings.get(&w.db, &member).await.unwrap();
    assert_eq!(view.time_zone, "America/New_York");

    let describe = |text: &str| UpdateTimeEntry {
        description: MaybeUndefined::Value(text.into()),
        ..UpdateTimeEntry::default()
    };
    // 04:00Z on the 20th is still the 19th in New York: locked.
    for id in [before.id, late_evening.id] {
        let err =
            w.tt.entries
                .update(&w.db, &member, id, describe("late"))
                .await
                .err()
                .unwrap();
        assert_eq!(
            (err.kind().status(), err.code()),
            (403, "time_entry.locked")
        );
        assert!(matches!(
            w.tt.entries.delete(&w.db, &member, id).await,
            Err(Error::Locked)
        ));
    }
    assert!(matches!(
        w.log(
            &member,
            project,
            "2026-11-18T09:00:00Z",
            "2026-11-18T10:00:00Z"
        )
        .await,
        Err(Error::Locked)
    ));
    // Moving an open entry into the locked period is refused too.
    assert!(matches!(
        w.tt.entries
            .update(
                &w.db,
                &member,
                after.id,
                UpdateTimeEntry {
                    start_at: Some(t("2026-11-19T08:00:00Z")),
                    end_at: Some(t("2026-11-19T08:30:00Z")),
                    ..UpdateTimeEntry::default()
                },
            )
            .await,
        Err(Error::Locked)
    ));
    w.tt.entries
        .update(&w.db, &member, after.id, describe("open"))
        .await
        .unwrap();
    // 05:00Z on the 20th is New York's midnight: open.
    w.log(
        &member,
        project,
        "2026-11-20T05:00:00Z",
        "2026-11-20T05:30:00Z",
    )
    .await
    .unwrap();

    // Admins may still correct the past.
    let fixed =
        w.tt.entries
            .update(&w.db, &admin, before.id, describe("fixed by admin"))
            .await
            .unwrap();
    assert_eq!(fixed.description.as_deref(), Some("fixed by admin"));
    w.log(
        &admin,
        project,
        "2026-11-18T09:00:00Z",
        "2026-11-18T10:00:00Z",
    )
    .await
    .unwrap();
    w.tt.entries
        .delete(&w.db, &admin, late_evening.id)
        .await
        .unwrap();

    // Unlocking opens everything again.
    settings(
        &w,
        &admin,
        UpdateTimeSettings {
            lock_date: MaybeUndefined::Null,
            ..UpdateTimeSettings::default()
        },
    )
    .await;
    w.tt.entries
        .delete(&w.db, &member, before.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn rounding_is_applied_before_the_length_is_checked() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    // Without rounding: whole seconds, and no empty or backwards entry.
    let exact = w
        .log(
            &admin,
            project,
            "2026-11-16T09:00:00.700Z",
            "2026-11-16T09:00:42Z",
        )
        .await
        .unwrap();
    assert_eq!(exact.duration_seconds, Some(42));
    for (start, end) in [
        ("2026-11-16T10:00:00Z", "2026-11-16T10:00:00Z"),
        ("2026-11-16T10:00:00Z", "2026-11-16T09:00:00Z"),
    ] {
        let err = w.log(&admin, project, start, end).await.err().unwrap();
        assert_eq!(
            (err.kind().status(), err.code()),
            (422, "time_entry.too_short")
        );
    }
    assert!(matches!(
        w.log(
            &admin,
            project,
            "2026-11-01T09:00:00Z",
            "2026-11-09T09:00:00Z"
        )
        .await,
        Err(Error::Validation(_))
    ));
    let rule = |mode| UpdateTimeSettings {
        rounding: MaybeUndefined::Value(RoundingRule { mode, minutes: 15 }),
        ..UpdateTimeSettings::default()
    };
    assert!(matches!(
        w.tt.settings
            .update(
                &w.db,
                &admin,
                UpdateTimeSettings {
                    rounding: MaybeUndefined::Value(RoundingRule {
                        mode: RoundingMode::Up,
                        minutes: 7,
                    }),
                    ..UpdateTimeSettings::default()
                },
            )
            .await,
        Err(Error::Validation(_))
    ));

    settings(&w, &admin, rule(RoundingMode::Nearest)).await;
    let rounded = w
        .log(
            &admin,
            project,
            "2026-11-17T09:07:00Z",
            "2026-11-17T10:08:00Z",
        )
        .await
        .unwrap();
    assert_eq!(rounded.start_at.0, t("2026-11-17T09:00:00Z"));
    assert_eq!(rounded.end_at.map(|e| e.0), Some(t("2026-11-17T10:15:00Z")));
    assert_eq!(rounded.duration_seconds, Some(4_500));
    // A short entry that rounds to nothing is refused, not stored empty.
    let err = w
        .log(
            &admin,
            project,
            "2026-11-17T11:16:00Z",
            "2026-11-17T11:21:00Z",
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::TooShort));
    assert_eq!(err.field_errors()[0].field, "end_at");
    // Editing only the description keeps the times as stored.
    let kept =
        w.tt.entries
            .update(
                &w.db,
                &admin,
                exact.id,
                UpdateTimeEntry {
                    description: MaybeUndefined::Value("kept".into()),
                    ..UpdateTimeEntry::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(kept.duration_seconds, Some(42));

    settings(&w, &admin, rule(RoundingMode::Up)).await;
    assert!(matches!(
        w.log(
            &admin,
            project,
            "2026-11-18T10:01:00Z",
            "2026-11-18T10:04:00Z"
        )
        .await,
        Err(Error::TooShort)
    ));
    settings(&w, &admin, rule(RoundingMode::Down)).await;
    let down = w
        .log(
            &admin,
            project,
            "2026-11-18T10:01:00Z",
            "2026-11-18T10:31:00Z",
        )
        .await
        .unwrap();
    assert_eq!(down.duration_seconds, Some(1_800));

    // Timers round too; back-to-back timers stay back to back.
    settings(&w, &admin, rule(RoundingMode::Nearest)).await;
    w.clock.set(t("2026-11-23T12:03:00Z"));
    let first =
        w.tt.entries
            .start_timer(&w.db, &admin, timer(project))
            .await
            .unwrap();
    assert_eq!(first.start_at.0, t("2026-11-23T12:00:00Z"));
    w.clock.set(t("2026-11-23T12:05:00Z"));
    assert!(matches!(
        w.tt.entries.stop_timer(&w.db, &admin).await,
        Err(Error::TooShort)
    ));
    assert!(w.tt.entries.running(&w.db, &admin).await.unwrap().is_some());
    w.clock.set(t("2026-11-23T12:20:00Z"));
    let second =
        w.tt.entries
            .start_timer(&w.db, &admin, timer(project))
            .await
            .unwrap();
    let first = w.tt.entries.get(&w.db, &admin, first.id).await.unwrap();
    assert_eq!(first.end_at, Some(second.start_at));
    assert_eq!(first.duration_seconds, Some(900));
    // Switching right away drops the empty timer instead of refusing.
    w.clock.set(t("2026-11-23T12:21:00Z"));
    let third =
        w.tt.entries
            .start_timer(&w.db, &admin, timer(project))
            .await
            .unwrap();
    assert!(matches!(
        w.tt.entries.get(&w.db, &admin, second.id).await,
        Err(Error::EntryNotFound)
    ));
    assert_eq!(third.start_at, second.start_at);
}

#[tokio::test]
async fn members_change_their_own_entries_admins_anyones() {
    let w = world().await;
    let (admin, project) = setup(&w).await;
    let (ana, bo) = (
        w.member(admin.org_id(), OrgRole::Member).await,
        w.member(admin.org_id(), OrgRole::Member).await,
    );
    let anas = w
        .log(
            &ana,
            project,
            "2026-11-20T09:00:00Z",
            "2026-11-20T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(anas.user_id, ana.user_id());
    // Bo reads it, but cannot change it.
    w.tt.entries.get(&w.db, &bo, anas.id).await.unwrap();
    let err =
        w.tt.entries
            .update(&w.db, &bo, anas.id, UpdateTimeEntry::default())
            .await
            .err()
            .unwrap();
    assert_eq!(
        (err.kind().status(), err.code()),
        (403, "time_entry.not_owner")
    );
    assert!(matches!(
        w.tt.entries.delete(&w.db, &bo, anas.id).await,
        Err(Error::NotOwner)
    ));
    // Nor log time as Ana.
    let mut as_ana = entry(
        project,
        None,
        "2026-11-21T09:00:00Z",
        "2026-11-21T10:00:00Z",
    );
    as_ana.user_id = Some(ana.user_id());
    assert!(matches!(
        w.tt.entries.create(&w.db, &bo, as_ana.clone()).await,
        Err(Error::NotOwner)
    ));
    // An admin can, for members only.
    let logged =
        w.tt.entries
            .create(&w.db, &admin, as_ana.clone())
            .await
            .unwrap();
    assert_eq!(logged.user_id, ana.user_id());
    as_ana.user_id = Some(UserId::new());
    let err =
        w.tt.entries
            .create(&w.db, &admin, as_ana)
            .await
            .err()
            .unwrap();
    assert_eq!(err.field_errors()[0].field, "user_id");
    w.tt.entries
        .update(
            &w.db,
            &admin,
            anas.id,
            UpdateTimeEntry {
                billable: Some(false),
                ..UpdateTimeEntry::default()
            },
        )
        .await
        .unwrap();
    w.tt.entries.delete(&w.db, &ana, anas.id).await.unwrap();
    w.tt.entries.delete(&w.db, &admin, logged.id).await.unwrap();
}

#[tokio::test]
async fn the_rate_is_a_snapshot_taken_when_written() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, "usd", Some(8_000)).await;
    let plain = w.project(&admin, client.id, None).await;
    let premium = w.project(&admin, client.id, Some(12_000)).await;

    let on_plain = w
        .log(
            &admin,
            plain.id,
            "2026-11-20T09:00:00Z",
            "2026-11-20T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(
        (on_plain.rate_minor, on_plain.currency.as_str()),
        (Some(8_000), "USD")
    );
    let on_premium = w
        .log(
            &admin,
            premium.id,
            "2026-11-20T10:00:00Z",
            "2026-11-20T11:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(
        on_premium.rate_minor,
        Some(12_000),
        "the project's rate wins"
    );

    // Rates change; logged time keeps its price.
    w.tt.projects
        .update(
            &w.db,
            &admin,
            premium.id,
            UpdateProject {
                hourly_rate_minor: MaybeUndefined::Value(15_000),
                ..UpdateProject::default()
            },
        )
        .await
        .unwrap();
    w.tt.clients
        .update(
            &w.db,
            &admin,
            client.id,
            UpdateAgencyClient {
                hourly_rate_minor: MaybeUndefined::Value(9_000),
                ..UpdateAgencyClient::default()
            },
        )
        .await
        .unwrap();
    let edited =
        w.tt.entries
            .update(
                &w.db,
                &admin,
                on_premium.id,
                UpdateTimeEntry {
                    end_at: Some(t("2026-11-20T11:30:00Z")),
                    ..UpdateTimeEntry::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(edited.rate_minor, Some(12_000));
    assert_eq!(
        w.tt.entries
            .get(&w.db, &admin, on_plain.id)
            .await
            .unwrap()
            .rate_minor,
        Some(8_000)
    );
    // New time takes today's rates, and so does time moved to another project.
    let later = w
        .log(
            &admin,
            premium.id,
            "2026-11-21T09:00:00Z",
            "2026-11-21T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(later.rate_minor, Some(15_000));
    let moved =
        w.tt.entries
            .update(
                &w.db,
                &admin,
                on_plain.id,
                UpdateTimeEntry {
                    project_id: Some(premium.id),
                    ..UpdateTimeEntry::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(moved.rate_minor, Some(15_000));
    let timer_entry =
        w.tt.entries
            .start_timer(&w.db, &admin, timer(plain.id))
            .await
            .unwrap();
    assert_eq!(timer_entry.rate_minor, Some(9_000));

    // A task must belong to the entry's project.
    let other_task = w.task(&admin, plain.id, "Plain work").await;
    let err =
        w.tt.entries
            .create(
                &w.db,
                &admin,
                entry(
                    premium.id,
                    Some(other_task.id),
                    "2026-11-22T09:00:00Z",
                    "2026-11-22T10:00:00Z",
                ),
            )
            .await
            .err()
            .unwrap();
    assert_eq!(err.field_errors()[0].field, "task_id");
}

#[tokio::test]
async fn billing_takes_unbilled_time_all_or_nothing() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let acme = w.client(&admin, "EUR", Some(10_000)).await;
    let other = w.client(&admin, "EUR", Some(10_000)).await;
    let web = w.project(&admin, acme.id, None).await;
    let elsewhere = w.project(&admin, other.id, None).await;
    let task = w.task(&admin, web.id, "Design").await;

    let design =
        w.tt.entries
            .create(
                &w.db,
                &admin,
                entry(
                    web.id,
                    Some(task.id),
                    "2026-11-02T09:00:00Z",
                    "2026-11-02T10:30:00Z",
                ),
            )
            .await
            .unwrap();
    let calls = w
        .log(
            &member,
            web.id,
            "2026-11-03T09:00:00Z",
            "2026-11-03T09:20:00Z",
        )
        .await
        .unwrap();
    let mut free = entry(web.id, None, "2026-11-04T09:00:00Z", "2026-11-04T10:00:00Z");
    free.billable = Some(false);
    w.tt.entries.create(&w.db, &admin, free).await.unwrap();
    w.log(
        &member,
        web.id,
        "2026-12-01T09:00:00Z",
        "2026-12-01T10:00:00Z",
    )
    .await
    .unwrap();
    w.log(
        &admin,
        elsewhere.id,
        "2026-11-05T09:00:00Z",
        "2026-11-05T10:00:00Z",
    )
    .await
    .unwrap();
    w.tt.entries
        .start_timer(&w.db, &admin, timer(web.id))
        .await
        .unwrap();

    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    let unbilled =
        w.tt.billing
            .unbilled(&w.db, &admin, acme.id, from, to)
            .await
            .unwrap();
    assert_eq!(
        unbilled.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![design.id, calls.id]
    );
    assert_eq!(unbilled[0].amount_minor, 15_000);
    assert_eq!(unbilled[0].task_title.as_deref(), Some("Design"));
    assert_eq!(unbilled[0].project_name, web.name);
    // 20 minutes at 100.00/h: 33.333… rounds to 33.33.
    assert_eq!(unbilled[1].amount_minor, 3_333);

    let invoice = uuid::Uuid::now_v7();
    let ids: Vec<TimeEntryId> = unbilled.iter().map(|e| e.id).collect();
    // Members do not bill.
    assert!(matches!(
        w.tt.billing
            .mark_billed(&w.db, &member, &ids, invoice)
            .await,
        Err(Error::Access(_))
    ));
    // In the caller's transaction: rolled back, nothing happened.
    let txn = w.db.begin_write().await.unwrap();
    assert_eq!(
        w.tt.billing
            .mark_billed(&txn, &admin, &ids, invoice)
            .await
            .unwrap(),
        2
    );
    txn.rollback().await.unwrap();
    assert_eq!(
        w.tt.billing
            .unbilled(&w.db, &admin, acme.id, from, to)
            .await
            .unwrap()
            .len(),
        2
    );
    let txn = w.db.begin_write().await.unwrap();
    w.tt.billing
        .mark_billed(&txn, &admin, &ids, invoice)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert!(
        w.tt.billing
            .unbilled(&w.db, &admin, acme.id, from, to)
            .await
            .unwrap()
            .is_empty()
    );
    let billed = w.tt.entries.get(&w.db, &admin, design.id).await.unwrap();
    assert_eq!(billed.billed_invoice_id, Some(invoice));
    // Billed time is read-only, even for admins.
    let err =
        w.tt.entries
            .update(&w.db, &admin, design.id, UpdateTimeEntry::default())
            .await
            .err()
            .unwrap();
    assert_eq!(
        (err.kind().status(), err.code()),
        (409, "time_entry.billed")
    );
    assert!(matches!(
        w.tt.entries.delete(&w.db, &member, calls.id).await,
        Err(Error::Billed)
    ));

    // All or nothing: one billed entry spoils the batch, the other stays unbilled.
    let fresh = w
        .log(
            &admin,
            web.id,
            "2026-11-06T09:00:00Z",
            "2026-11-06T10:00:00Z",
        )
        .await
        .unwrap();
    let second_invoice = uuid::Uuid::now_v7();
    let err =
        w.tt.billing
            .mark_billed(&w.db, &admin, &[fresh.id, design.id], second_invoice)
            .await
            .err()
            .unwrap();
    assert_eq!(
        (err.kind().status(), err.code()),
        (409, "time_entry.not_billable")
    );
    assert_eq!(
        w.tt.entries
            .get(&w.db, &admin, fresh.id)
            .await
            .unwrap()
            .billed_invoice_id,
        None
    );
    // Another organization's entries cannot be billed by us, nor released.
    let stranger = w.agency().await;
    assert!(matches!(
        w.tt.billing
            .mark_billed(&w.db, &stranger, &[fresh.id], second_invoice)
            .await,
        Err(Error::NotBillable)
    ));
    assert_eq!(
        w.tt.billing
            .release(&w.db, &stranger, invoice)
            .await
            .unwrap(),
        0
    );

    // Voiding the invoice releases its time.
    assert_eq!(
        w.tt.billing.release(&w.db, &admin, invoice).await.unwrap(),
        2
    );
    assert_eq!(
        w.tt.billing
            .unbilled(&w.db, &admin, acme.id, from, to)
            .await
            .unwrap()
            .len(),
        3
    );
}
