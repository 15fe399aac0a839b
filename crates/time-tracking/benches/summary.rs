//! The summary report over 100,000 entries, on PostgreSQL.
//!
//! Run it with `scripts/bench-summary.sh` (or `just bench-summary`), which
//! starts a throwaway PostgreSQL cluster: this program refuses SQLite.
//!
//! It makes a fresh, migrated database; seeds two organizations, each with
//! ten people, five clients (EUR and USD), twenty projects and fifty tasks,
//! and stopped entries across 2026 with SQL (`generate_series`): the
//! measured one `BENCH_ENTRIES` (default 100,000), its neighbour
//! `BENCH_OTHER_ENTRIES` (default 400,000), so the report reads a fifth of
//! the table; sets the measured organization's zone to Europe/Lisbon (so days
//! and weeks cross two DST changes); `VACUUM ANALYZE`s; then times
//! `ReportService::summary` over the whole year (every entry) for each
//! grouping: `BENCH_WARMUP` calls (default 3), then `BENCH_RUNS` (default
//! 30), printing min, median, p95 and max. `BENCH_EXPLAIN=1` also prints
//! the plan of each grouping's query (`EXPLAIN (ANALYZE, BUFFERS)` of the
//! statement the service sends, with its values).
//!
//! The timed calls use a pool of one connection; `BENCH_NICE` (set by
//! `scripts/bench-summary.sh`) also renices that connection's backend and
//! its autogroup: every PostgreSQL backend is a session of its own, so the
//! script's renice of itself does not reach the server doing the work.
//!
//! People's labels come from identity through the `Memberships` port; the
//! stand-in here has none, so `user` times the SQL alone (the gateway adds
//! one primary-key lookup of the ten people).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::{
    clock::ManualClock,
    db::DbOptions,
    id::{OrgId, UserId},
    ports::{Memberships, OrgAccess, OrgRole},
    testing::TestDatabase,
    types::{Currency, TimeZone},
};
use trellis_time_tracking::{
    TimeTracking, TimeTrackingDeps,
    model::{CreateAgencyClient, CreateProject, CreateTask, GroupBy, UpdateTimeSettings},
};

/// Everyone is an admin of every organization: the bench checks no access.
struct Everyone;

#[async_trait::async_trait]
impl Memberships for Everyone {
    async fn role_of(&self, _user: UserId, _org: OrgId) -> Result<Option<OrgRole>, DbErr> {
        Ok(Some(OrgRole::Admin))
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn exec(db: &impl ConnectionTrait, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// A row of `table` with a fresh id; returns the id.
async fn row(db: &impl ConnectionTrait, table: &str, columns: &str, values: &str) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    exec(
        db,
        &format!(
            "INSERT INTO {table} (id, {columns}, created_at, updated_at) \
             VALUES ('{id}', {values}, now(), now())"
        ),
    )
    .await;
    id
}

/// An organization with its people, clients, projects and tasks, and
/// `entries` entries; returns an admin's access.
async fn seed(
    db: &sea_orm::DatabaseConnection,
    tt: &TimeTracking,
    name: &str,
    entries: usize,
) -> OrgAccess {
    let org = OrgId(row(db, "organizations", "name", &format!("'{name}'")).await);
    let mut people = Vec::new();
    for _ in 0..10 {
        people.push(UserId(
            row(db, "users", "roles, is_anonymous", "'[]', false").await,
        ));
    }
    let access = OrgAccess::assume(people[0], org, OrgRole::Admin);
    let mut projects = Vec::new();
    let mut tasks = Vec::new();
    for c in 0..5 {
        let currency = if c % 2 == 0 { "EUR" } else { "USD" };
        let client = tt
            .clients
            .create(
                db,
                &access,
                CreateAgencyClient {
                    name: format!("Client {c}"),
                    email: None,
                    phone: None,
                    address: None,
                    currency: Currency::parse(currency).unwrap(),
                    hourly_rate_minor: Some(6_000 + 1_000 * c),
                },
            )
            .await
            .unwrap();
        for p in 0..4 {
            let project = tt
                .projects
                .create(
                    db,
                    &access,
                    CreateProject {
                        client_id: client.id,
                        name: format!("Project {c}.{p}"),
                        code: None,
                        billable: None,
                        hourly_rate_minor: (p % 2 == 0).then_some(9_000),
                        budget_hours: None,
                        color: None,
                    },
                )
                .await
                .unwrap();
            projects.push((project.id, currency));
            for t in 0..(if p < 2 { 3 } else { 2 }) {
                let task = tt
                    .tasks
                    .create(
                        db,
                        &access,
                        CreateTask {
                            project_id: project.id,
                            title: format!("Task {c}.{p}.{t}"),
                            description: None,
                            status: None,
                            priority: None,
                            assignee_id: None,
                            due_on: None,
                            estimate_minutes: None,
                        },
                    )
                    .await
                    .unwrap();
                tasks.push((task.id, project.id));
            }
        }
    }
    let array = |ids: Vec<String>| format!("ARRAY[{}]::uuid[]", ids.join(","));
    let people_sql = array(people.iter().map(|u| format!("'{u}'")).collect());
    let projects_sql = array(projects.iter().map(|(p, _)| format!("'{p}'")).collect());
    let currencies_sql = format!(
        "ARRAY[{}]",
        projects
            .iter()
            .map(|(_, c)| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(",")
    );
    // Entry i is on project i % 20 and, two times in three, on that
    // project's first task.
    let first_task: Vec<String> = projects
        .iter()
        .map(|(p, _)| {
            tasks
                .iter()
                .find(|(_, tp)| tp == p)
                .map(|(t, _)| format!("'{t}'"))
                .unwrap_or_else(|| "NULL".into())
        })
        .collect();
    let tasks_sql = array(first_task);
    // Starts spread over 2026 (315 s apart), 10 to 30 minutes long.
    exec(
        db,
        &format!(
            "INSERT INTO time_entries (id, org_id, user_id, project_id, task_id, description, \
               start_at, end_at, duration_seconds, billable, rate_minor, currency, created_at, updated_at) \
             SELECT gen_random_uuid(), '{org}', \
               ({people_sql})[1 + i % 10], \
               ({projects_sql})[1 + i % 20], \
               CASE WHEN i % 3 = 0 THEN NULL ELSE ({tasks_sql})[1 + i % 20] END, \
               'work ' || i, \
               timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => i * 315), \
               timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => i * 315 + 600 + (i % 5) * 300), \
               600 + (i % 5) * 300, \
               i % 4 <> 0, \
               CASE WHEN i % 10 = 0 THEN NULL ELSE 6000 + (i % 7) * 500 END, \
               ({currencies_sql})[1 + i % 20], \
               now(), now() \
             FROM generate_series(0, {last}) AS i",
            last = entries.saturating_sub(1),
        ),
    )
    .await;
    access
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

#[tokio::main]
async fn main() {
    let entries = env_number("BENCH_ENTRIES", 100_000);
    let others = env_number("BENCH_OTHER_ENTRIES", 400_000);
    let warmup = env_number("BENCH_WARMUP", 3);
    let runs = env_number("BENCH_RUNS", 30).max(1);
    let database = TestDatabase::create().await.expect("a test database");
    let db = database.connect().await.expect("a connection");
    if db.get_database_backend() != DbBackend::Postgres {
        eprintln!(
            "bench-summary: PostgreSQL only; run scripts/bench-summary.sh \
             (TRELLIS_TEST_DB=postgres and TEST_DATABASE_URL)"
        );
        return;
    }
    trellis_migration::Migrator::up(&db, None)
        .await
        .expect("migrations");
    let clock = ManualClock::at(Utc::now());
    let tt = TimeTracking::new(TimeTrackingDeps {
        clock: Arc::new(clock),
        memberships: Arc::new(Everyone),
    });

    let seeding = Instant::now();
    let access = seed(&db, &tt, "measured", entries).await;
    seed(&db, &tt, "neighbour", others).await;
    tt.settings
        .update(
            &db,
            &access,
            UpdateTimeSettings {
                time_zone: Some(TimeZone::parse("Europe/Lisbon").unwrap()),
                ..UpdateTimeSettings::default()
            },
        )
        .await
        .unwrap();
    exec(&db, "VACUUM ANALYZE").await;
    let version: String = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('server_version')",
        ))
        .await
        .unwrap()
        .and_then(|r| r.try_get_by_index(0).ok())
        .unwrap_or_default();
    println!(
        "bench-summary: PostgreSQL {version}; seeded {entries} + {others} entries in {}",
        ms(seeding.elapsed())
    );

    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let groupings = [
        GroupBy::Client,
        GroupBy::Project,
        GroupBy::User,
        GroupBy::Task,
        GroupBy::Day,
        GroupBy::Week,
    ];
    if std::env::var("BENCH_EXPLAIN").as_deref() == Ok("1") {
        // The queries the service sends, as it sends them (bound values).
        for group_by in groupings {
            let query = tt
                .reports
                .summary_query(&db, &access, from, to, group_by, None)
                .await
                .unwrap();
            let plan = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("EXPLAIN (ANALYZE, BUFFERS) {}", query.sql),
                    query.values.map(|v| v.0).unwrap_or_default(),
                ))
                .await
                .unwrap();
            println!("{group_by:?}:");
            for line in plan {
                let text: String = line.try_get_by_index(0).unwrap_or_default();
                println!("  {text}");
            }
        }
    }

    // The timed calls go through one connection, whose backend gets
    // `BENCH_NICE` too: PostgreSQL puts every backend in a session (so an
    // autogroup) of its own, which the script's renice does not reach.
    let timed = trellis_kernel::db::connect(
        database.url(),
        &DbOptions {
            max_connections: 1,
            min_connections: 1,
            ..DbOptions::default()
        },
    )
    .await
    .expect("a connection for the timed calls");
    if let Ok(nice) = std::env::var("BENCH_NICE") {
        let pid: i32 = timed
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_backend_pid()",
            ))
            .await
            .unwrap()
            .and_then(|r| r.try_get_by_index(0).ok())
            .unwrap_or_default();
        let autogroup = std::fs::write(format!("/proc/{pid}/autogroup"), &nice).is_ok();
        let reniced = std::process::Command::new("renice")
            .args(["-n", &nice, "-p", &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        println!(
            "bench-summary: backend {pid} at niceness {nice} (renice {}, autogroup {})",
            if reniced { "done" } else { "failed" },
            if autogroup { "done" } else { "failed" },
        );
    }

    println!(
        "{:<8} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "group_by", "groups", "min", "median", "p95", "max"
    );
    for group_by in groupings {
        let mut groups = 0;
        for _ in 0..warmup {
            tt.reports
                .summary(&timed, &access, from, to, group_by, None)
                .await
                .unwrap();
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let report = tt
                .reports
                .summary(&timed, &access, from, to, group_by, None)
                .await
                .unwrap();
            times.push(started.elapsed());
            groups = report.groups.len();
            assert_eq!(
                report.total.seconds,
                (0..entries as i64)
                    .map(|i| 600 + (i % 5) * 300)
                    .sum::<i64>(),
                "every entry is in the range"
            );
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{:<8} {:>7} {:>10} {:>10} {:>10} {:>10}",
            format!("{group_by:?}").to_lowercase(),
            groups,
            ms(times[0]),
            ms(at(0.5)),
            ms(at(0.95)),
            ms(times[times.len() - 1]),
        );
    }
    timed.close().await.ok();
    db.close().await.ok();
    drop(database);
}
