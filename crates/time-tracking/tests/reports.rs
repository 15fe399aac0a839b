//! The summary report: its totals are the sums of the entries it covers,
//! for every grouping, and days and weeks are the organization's local
//! ones across DST changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use common::{World, entry, new_project, new_task, t, world};
use trellis_kernel::{
    PageRequest,
    ports::{OrgAccess, OrgRole},
    types::TimeZone,
};
use trellis_time_tracking::{
    Error,
    ids::{AgencyClientId, ProjectId, TaskId},
    model::{
        GroupBy, MoneyAmount, StartTimer, SummaryReport, TimeEntryFilter, TimeEntryView,
        UpdateTimeSettings,
    },
    money::amount_minor,
};

const GROUPINGS: [GroupBy; 6] = [
    GroupBy::Client,
    GroupBy::Project,
    GroupBy::User,
    GroupBy::Task,
    GroupBy::Day,
    GroupBy::Week,
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn local_midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    zone.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

async fn set_zone(w: &World, admin: &OrgAccess, zone: &str) {
    w.tt.settings
        .update(
            &w.db,
            admin,
            UpdateTimeSettings {
                time_zone: Some(TimeZone::parse(zone).unwrap()),
                ..UpdateTimeSettings::default()
            },
        )
        .await
        .unwrap();
}

/// Every entry of the organization, through the list API, page by page.
async fn all_entries(w: &World, access: &OrgAccess, filter: TimeEntryFilter) -> Vec<TimeEntryView> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            w.tt.entries
                .list(
                    &w.db,
                    access,
                    filter,
                    &PageRequest::parse(Some(7), cursor).unwrap(),
                )
                .await
                .unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

/// A group's sums as the test computes them from entries.
#[derive(Debug, Default, PartialEq, Eq)]
struct Sums {
    seconds: i64,
    billable_seconds: i64,
    amounts: BTreeMap<String, i64>,
}

fn sums_of(amounts: &[MoneyAmount]) -> BTreeMap<String, i64> {
    amounts
        .iter()
        .map(|a| (a.currency.clone(), a.amount_minor))
        .collect()
}

/// The report's groups, keyed, as [`Sums`].
fn reported(report: &SummaryReport) -> BTreeMap<String, Sums> {
    report
        .groups
        .iter()
        .map(|g| {
            (
                g.key.clone(),
                Sums {
                    seconds: g.seconds,
                    billable_seconds: g.billable_seconds,
                    amounts: sums_of(&g.amounts),
                },
            )
        })
        .collect()
}

/// The key an entry falls under, computed in Rust with chrono-tz.
fn key_of(
    e: &TimeEntryView,
    group_by: GroupBy,
    zone: Tz,
    clients: &HashMap<ProjectId, AgencyClientId>,
) -> String {
    let local = e.start_at.0.with_timezone(&zone).date_naive();
    match group_by {
        GroupBy::Client => clients[&e.project_id].to_string(),
        GroupBy::Project => e.project_id.to_string(),
        GroupBy::User => e.user_id.to_string(),
        GroupBy::Task => e.task_id.map_or("none".into(), |t| t.to_string()),
        GroupBy::Day => local.to_string(),
        GroupBy::Week => {
            (local - Duration::days(i64::from(local.weekday().num_days_from_monday()))).to_string()
        }
    }
}

/// Sums entries by key: what the report must say.
fn expected(
    entries: &[TimeEntryView],
    group_by: GroupBy,
    zone: Tz,
    clients: &HashMap<ProjectId, AgencyClientId>,
) -> BTreeMap<String, Sums> {
    let mut out: BTreeMap<String, Sums> = BTreeMap::new();
    for e in entries {
        let seconds = e.duration_seconds.unwrap();
        let sums = out.entry(key_of(e, group_by, zone, clients)).or_default();
        sums.seconds += seconds;
        if e.billable {
            sums.billable_seconds += seconds;
            *sums.amounts.entry(e.currency.clone()).or_default() +=
                e.rate_minor.map_or(0, |r| amount_minor(r, seconds));
        }
    }
    out
}

/// A small deterministic generator (an LCG), so failures reproduce.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn totals_are_the_sums_of_the_entries_for_every_grouping() {
    let w = world().await;
    let admin = w.agency().await;
    let zone = chrono_tz::Europe::Lisbon;
    set_zone(&w, &admin, zone.name()).await;
    let people = [
        admin,
        w.member(admin.org_id(), OrgRole::Member).await,
        w.member(admin.org_id(), OrgRole::Member).await,
    ];
    let acme = w.client(&admin, "EUR", Some(10_000)).await;
    let globex = w.client(&admin, "USD", None).await;
    let mut projects = Vec::new();
    for (client, name, rate) in [
        (acme.id, "Web", None),
        (acme.id, "App", Some(12_500)),
        (globex.id, "Ads", Some(9_000)),
        (globex.id, "Pro bono", None),
    ] {
        let p =
            w.tt.projects
                .create(&w.db, &admin, new_project(client, name, rate))
                .await
                .unwrap();
        projects.push(p);
    }
    let mut tasks: HashMap<ProjectId, Vec<TaskId>> = HashMap::new();
    for (i, p) in projects.iter().enumerate().take(3) {
        let task =
            w.tt.tasks
                .create(&w.db, &admin, new_task(p.id, &format!("Task {i}")))
                .await
                .unwrap();
        tasks.entry(p.id).or_default().push(task.id);
    }
    let clients: HashMap<ProjectId, AgencyClientId> =
        projects.iter().map(|p| (p.id, p.client_id)).collect();

    // Around Lisbon's spring change (2026-03-29), from before the range to after it.
    let (from, to) = (date(2026, 3, 20), date(2026, 4, 5));
    let mut dice = Dice(7);
    for person in &people {
        let mut cursor = t("2026-03-19T18:00:00Z");
        while cursor < t("2026-04-06T06:00:00Z") {
            cursor += Duration::minutes(30 + dice.roll(14 * 60) as i64);
            let length = Duration::seconds(60 + dice.roll(5 * 3600) as i64);
            let project = &projects[dice.roll(4) as usize];
            let task = tasks
                .get(&project.id)
                .filter(|_| dice.roll(2) == 0)
                .map(|t| t[0]);
            let mut cmd = entry(
                project.id,
                task,
                "2026-01-01T00:00:00Z",
                "2026-01-01T01:00:00Z",
            );
            cmd.start_at = cursor;
            cmd.end_at = cursor + length;
            cmd.billable = (dice.roll(4) == 0).then_some(false);
            w.tt.entries.create(&w.db, person, cmd).await.unwrap();
            cursor += length;
        }
    }
    // A running timer is not in the report until it stops.
    w.clock.set(t("2026-03-25T12:00:00Z"));
    w.tt.entries
        .start_timer(
            &w.db,
            &people[2],
            StartTimer {
                project_id: projects[0].id,
                task_id: None,
                description: None,
                billable: None,
            },
        )
        .await
        .ok();

    for billable in [None, Some(true), Some(false)] {
        let listed: Vec<TimeEntryView> = all_entries(
            &w,
            &admin,
            TimeEntryFilter {
                billable,
                from: Some(local_midnight(zone, from)),
                to: Some(local_midnight(zone, to + Duration::days(1))),
                ..TimeEntryFilter::default()
            },
        )
        .await
        .into_iter()
        .filter(|e| e.end_at.is_some())
        .collect();
        assert!(listed.len() > 30, "enough entries to mean something");
        for group_by in GROUPINGS {
            let report =
                w.tt.reports
                    .summary(&w.db, &admin, from, to, group_by, billable)
                    .await
                    .unwrap();
            let want = expected(&listed, group_by, zone, &clients);
            assert_eq!(
                reported(&report),
                want,
                "{group_by:?}, billable {billable:?}"
            );
            let total = want.values().fold(Sums::default(), |mut acc, s| {
                acc.seconds += s.seconds;
                acc.billable_seconds += s.billable_seconds;
                for (currency, amount) in &s.amounts {
                    *acc.amounts.entry(currency.clone()).or_default() += amount;
                }
                acc
            });
            assert_eq!(report.total.seconds, total.seconds);
            assert_eq!(report.total.billable_seconds, total.billable_seconds);
            assert_eq!(sums_of(&report.total.amounts), total.amounts);
            assert_eq!(report.time_zone, "Europe/Lisbon");
        }
    }

    // Labels name clients, projects and tasks; time without a task is `none`.
    let by_client =
        w.tt.reports
            .summary(&w.db, &admin, from, to, GroupBy::Client, None)
            .await
            .unwrap();
    let labels: Vec<_> = by_client
        .groups
        .iter()
        .filter_map(|g| g.label.clone())
        .collect();
    assert_eq!(labels, ["Client EUR", "Client USD"]);
    let by_task =
        w.tt.reports
            .summary(&w.db, &admin, from, to, GroupBy::Task, None)
            .await
            .unwrap();
    assert!(
        by_task
            .groups
            .iter()
            .any(|g| g.key == "none" && g.label.is_none())
    );
    assert!(
        by_task
            .groups
            .iter()
            .any(|g| g.label.as_deref() == Some("Task 0"))
    );
    // Days come in order.
    let by_day =
        w.tt.reports
            .summary(&w.db, &admin, from, to, GroupBy::Day, None)
            .await
            .unwrap();
    let keys: Vec<_> = by_day.groups.iter().map(|g| g.key.clone()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.first().unwrap().as_str() >= "2026-03-20");
    assert!(keys.last().unwrap().as_str() <= "2026-04-05");
}

#[tokio::test]
async fn days_and_weeks_are_local_across_dst_changes() {
    let w = world().await;
    let admin = w.agency().await;
    set_zone(&w, &admin, "America/New_York").await;
    let client = w.client(&admin, "USD", Some(6_000)).await;
    let project = w.project(&admin, client.id, None).await;
    // (start, minutes, the local day New York says it starts on); an hour apart
    // at most, so they never overlap
    let cases = [
        // Spring forward on 2026-03-08 at 07:00Z (02:00 EST → 03:00 EDT).
        ("2026-03-08T04:30:00Z", 5, "2026-03-07"), // 23:30 EST
        ("2026-03-08T06:30:00Z", 10, "2026-03-08"), // 01:30 EST
        ("2026-03-08T07:30:00Z", 15, "2026-03-08"), // 03:30 EDT
        ("2026-03-09T03:30:00Z", 20, "2026-03-08"), // 23:30 EDT
        ("2026-03-09T04:30:00Z", 25, "2026-03-09"), // 00:30 EDT: a fixed -05:00 says the 8th
        // Fall back on 2026-11-01 at 06:00Z (02:00 EDT → 01:00 EST).
        ("2026-11-01T03:30:00Z", 30, "2026-10-31"), // 23:30 EDT
        ("2026-11-01T04:30:00Z", 35, "2026-11-01"), // 00:30 EDT: a fixed -05:00 says the 31st
        ("2026-11-01T05:30:00Z", 40, "2026-11-01"), // 01:30 EDT
        ("2026-11-01T06:30:00Z", 45, "2026-11-01"), // 01:30 EST, the second time
        ("2026-11-02T04:30:00Z", 50, "2026-11-01"), // 23:30 EST: a fixed -04:00 says the 2nd
    ];
    for (start, minutes, _) in cases {
        let end = (t(start) + Duration::minutes(minutes)).to_rfc3339();
        w.log(&admin, project.id, start, &end).await.unwrap();
    }
    let mut want_days: BTreeMap<String, i64> = BTreeMap::new();
    for (_, minutes, day) in cases {
        *want_days.entry(day.to_string()).or_default() += minutes * 60;
    }
    let report =
        w.tt.reports
            .summary(
                &w.db,
                &admin,
                date(2026, 3, 1),
                date(2026, 11, 30),
                GroupBy::Day,
                None,
            )
            .await
            .unwrap();
    let days: BTreeMap<String, i64> = report
        .groups
        .iter()
        .map(|g| (g.key.clone(), g.seconds))
        .collect();
    assert_eq!(days, want_days);
    // Amounts: 6000/h, per entry; 5 minutes are 500.
    let first = report.groups.first().unwrap();
    assert_eq!(first.amounts[0].amount_minor, 500);

    let weeks =
        w.tt.reports
            .summary(
                &w.db,
                &admin,
                date(2026, 3, 1),
                date(2026, 11, 30),
                GroupBy::Week,
                None,
            )
            .await
            .unwrap();
    let weeks: Vec<(String, i64)> = weeks
        .groups
        .iter()
        .map(|g| (g.key.clone(), g.seconds / 60))
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-03-02".to_string(), 5 + 10 + 15 + 20), // Sat 7th and Sun 8th
            ("2026-03-09".to_string(), 25),               // Mon 9th
            ("2026-10-26".to_string(), 30 + 35 + 40 + 45 + 50), // Sat 31st, Sun 1st
        ]
    );

    // The range's ends are local midnights too.
    let one_day =
        w.tt.reports
            .summary(
                &w.db,
                &admin,
                date(2026, 3, 8),
                date(2026, 3, 8),
                GroupBy::Day,
                None,
            )
            .await
            .unwrap();
    assert_eq!(one_day.total.seconds, (10 + 15 + 20) * 60);
    assert_eq!(one_day.groups.len(), 1);

    // A backwards or too long range is refused.
    for (from, to) in [
        (date(2026, 3, 8), date(2026, 3, 7)),
        (date(2020, 1, 1), date(2026, 1, 1)),
    ] {
        assert!(matches!(
            w.tt.reports
                .summary(&w.db, &admin, from, to, GroupBy::Day, None)
                .await,
            Err(Error::Validation(_))
        ));
    }
}

#[tokio::test]
async fn days_and_weeks_are_local_in_any_offset_and_across_midnight_changes() {
    // Each zone with entries (1 to 4 minutes long) minutes either side of
    // its local midnights, its DST
    // changes among them: Kathmandu (+05:45, no DST), Santiago (changes at
    // midnight: 2026-04-05 00:00 back to 23:00, 2026-09-06 00:00 on to
    // 01:00), Lord Howe (DST of half an hour, changes at 02:00).
    let zones = [
        (
            "Asia/Kathmandu",
            [
                "2026-06-01T18:13:00Z", // 23:58 on the 1st
                "2026-06-01T18:15:00Z", // 00:00 on the 2nd
                "2026-06-07T18:10:00Z", // 23:55 on Sunday the 7th
                "2026-06-07T18:16:00Z", // 00:01 on Monday the 8th
            ],
        ),
        (
            "America/Santiago",
            [
                "2026-04-05T02:58:00Z", // 23:58 -03 on the 4th
                "2026-04-05T03:30:00Z", // 23:30 -04 on the 4th, the second time
                "2026-04-05T04:00:00Z", // 00:00 -04 on the 5th
                "2026-09-06T04:01:00Z", // 01:01 -03 on the 6th (00:00-01:00 skipped)
            ],
        ),
        (
            "Australia/Lord_Howe",
            [
                "2026-04-04T12:58:00Z", // 23:58 +11:00 on the 4th
                "2026-04-04T13:00:00Z", // 00:00 +11:00 on the 5th
                "2026-04-05T13:25:00Z", // 23:55 +10:30 on the 5th
                "2026-04-05T13:31:00Z", // 00:01 +10:30 on the 6th
            ],
        ),
    ];
    for (name, starts) in zones {
        let w = world().await;
        let admin = w.agency().await;
        set_zone(&w, &admin, name).await;
        let zone: Tz = name.parse().unwrap();
        let client = w.client(&admin, "USD", Some(6_000)).await;
        let project = w.project(&admin, client.id, None).await;
        let mut want_days: BTreeMap<String, i64> = BTreeMap::new();
        let mut want_weeks: BTreeMap<String, i64> = BTreeMap::new();
        for (i, start) in starts.iter().enumerate() {
            let seconds = 60 * (i as i64 + 1);
            let end = (t(start) + Duration::seconds(seconds)).to_rfc3339();
            w.log(&admin, project.id, start, &end).await.unwrap();
            let local = t(start).with_timezone(&zone).date_naive();
            let monday = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
            *want_days.entry(local.to_string()).or_default() += seconds;
            *want_weeks.entry(monday.to_string()).or_default() += seconds;
        }
        for (group_by, want) in [(GroupBy::Day, want_days), (GroupBy::Week, want_weeks)] {
            let report =
                w.tt.reports
                    .summary(
                        &w.db,
                        &admin,
                        date(2026, 1, 1),
                        date(2026, 12, 31),
                        group_by,
                        None,
                    )
                    .await
                    .unwrap();
            let got: BTreeMap<String, i64> = report
                .groups
                .iter()
                .map(|g| (g.key.clone(), g.seconds))
                .collect();
            assert_eq!(got, want, "{name}, {group_by:?}");
            assert_eq!(report.groups.len(), got.len(), "{name}: one group a key");
        }
    }
}
