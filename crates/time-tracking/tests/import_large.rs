//! A 50,000-row import. The file is generated on the fly and reaches the
//! importer through a 64 KiB pipe, so it never exists whole: the import has
//! to stream. Memory stays flat by design (one reused record buffer,
//! batches of `IMPORT_BATCH_ROWS`, capped caches and error report); the
//! test checks it by the process's resident set between the 5,000th and
//! the last row (its own test binary, so no other test shares the
//! process). Keeping the rows would add tens of MiB.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use chrono::Duration;
use common::{new_project, t, world};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::io::AsyncWriteExt;
use trellis_kernel::ports::OrgRole;
use trellis_time_tracking::{
    columns::TIME_ENTRY_HEADER,
    model::{ImportKind, ImportOptions, ImportStatus},
};

const ROWS: usize = 50_000;
const PEOPLE: usize = 5;
/// Every this many rows, one ends before it starts.
const BAD_EVERY: usize = 10_000;

/// The resident set in KiB (Linux), if the platform tells.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test]
async fn fifty_thousand_rows_stream_in_with_bounded_memory() {
    let w = world().await;
    let admin = w.agency().await;
    let mut people = vec![admin.user_id()];
    for _ in 1..PEOPLE {
        people.push(w.member(admin.org_id(), OrgRole::Member).await.user_id());
    }
    let client = w.client(&admin, "EUR", Some(9_000)).await;
    let mut codes = Vec::new();
    for i in 0..3 {
        let mut cmd = new_project(client.id, &format!("Project {i}"), None);
        cmd.code = Some(format!("P{i}"));
        let project = w.tt.projects.create(&w.db, &admin, cmd).await.unwrap();
        w.task(&admin, project.id, "Build").await;
        codes.push(format!("P{i}"));
    }

    let (mut tx, rx) = tokio::io::duplex(64 * 1024);
    let producer = tokio::spawn(async move {
        let base = t("2025-01-06T08:00:00Z");
        tx.write_all(format!("{TIME_ENTRY_HEADER}\n").as_bytes())
            .await
            .unwrap();
        let mut early = None;
        for i in 0..ROWS {
            let person = people[i % PEOPLE];
            // Each person's entries follow one another: 25 minutes every half hour.
            let start = base + Duration::minutes(30 * (i / PEOPLE) as i64);
            let end = if (i + 1) % BAD_EVERY == 0 {
                start - Duration::minutes(5)
            } else {
                start + Duration::minutes(25)
            };
            let task = if i % 2 == 0 { "Build" } else { "" };
            let line = format!(
                "{person},,,{code},,{task},\"row {i}, \"\"batch\"\" {b}\",{start},{end},{billable}\n",
                code = codes[i % codes.len()],
                b = i / 500,
                start = start.to_rfc3339(),
                end = end.to_rfc3339(),
                billable = i % 3 != 0,
            );
            tx.write_all(line.as_bytes()).await.unwrap();
            if i == 5_000 {
                early = resident_kib();
            }
        }
        let late = resident_kib();
        tx.shutdown().await.unwrap();
        (early, late)
    });

    let options = ImportOptions {
        kind: ImportKind::TimeEntries,
        dry_run: false,
        all_or_nothing: false,
    };
    let report = w.tt.csv.import(&w.db, &admin, options, rx).await.unwrap();
    let (early, late) = producer.await.unwrap();

    let bad = ROWS / BAD_EVERY;
    assert_eq!(report.status, ImportStatus::Committed);
    assert_eq!(report.rows_read, ROWS as u64);
    assert_eq!(report.rows_failed, bad as u64, "{:?}", &report.errors);
    assert_eq!(report.rows_written, (ROWS - bad) as u64);
    let lines: Vec<u64> = report.errors.iter().map(|e| e.row).collect();
    let expected: Vec<u64> = (1..=bad).map(|k| (k * BAD_EVERY + 1) as u64).collect();
    assert_eq!(lines, expected, "the header is line 1");

    let backend = w.db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "SELECT COUNT(*) AS n, CAST(SUM(duration_seconds) AS BIGINT) AS s, \
         CAST(SUM(CASE WHEN task_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS t \
         FROM time_entries WHERE org_id = $1"
    } else {
        "SELECT COUNT(*) AS n, SUM(duration_seconds) AS s, \
         SUM(CASE WHEN task_id IS NULL THEN 0 ELSE 1 END) AS t \
         FROM time_entries WHERE org_id = ?1"
    };
    let row =
        w.db.query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [admin.org_id().0.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let count: i64 = row.try_get("", "n").unwrap();
    let seconds: i64 = row.try_get("", "s").unwrap();
    let with_task: i64 = row.try_get("", "t").unwrap();
    assert_eq!(count as usize, ROWS - bad);
    assert_eq!(seconds as usize, (ROWS - bad) * 25 * 60);
    // Even rows name the task; the bad rows are all odd.
    assert_eq!(with_task as usize, ROWS / 2);

    if let (Some(early), Some(late)) = (early, late) {
        let grown = late.saturating_sub(early);
        eprintln!("resident set: {early} KiB at row 5000, {late} KiB at row {ROWS}");
        assert!(
            grown < 16 * 1024,
            "memory grew by {grown} KiB over 45,000 rows: rows are being kept"
        );
    }
}
