//! CSV in and out: imports of clients, projects or time entries (admins),
//! their history (admins), and the export of time entries (members).
//!
//! The columns are documented in [`crate::columns`].
//!
//! # Importing
//!
//! [`CsvService::import`] reads the upload as a `tokio::io::AsyncRead`,
//! one record at a time (`csv-async`, whose buffer is reused from record to
//! record), so memory does not grow with the file: rows that pass their
//! checks wait in a batch of [`IMPORT_BATCH_ROWS`] and are written with one
//! multi-row `INSERT`; caches of the references rows name (clients,
//! projects, tasks, members) are capped; the error report keeps the first
//! [`MAX_REPORTED_ERRORS`] errors and counts the rest.
//!
//! Every row is checked by the rules of the single operation (the same
//! validation, rounding, lock date, archived projects, tasks of the entry's
//! project, the rate snapshot), and a batch by what only the batch can
//! tell: project codes already taken or repeated, and time overlapping the
//! person's other entries (those already stored, and earlier rows of the
//! file) unless the organization allows overlaps.
//!
//! The whole import is one transaction. Its first statement writes the
//! import's history row (SQLite's write-first rule), and an import of time
//! entries then takes the organization's time lock, as every time-entry
//! write does. At the end:
//! - a dry run is rolled back: it ran exactly as a commit would, so it
//!   reports what a commit would refuse (duplicates within the file,
//!   overlaps between its rows), and nothing is kept;
//! - a commit keeps the valid rows; with `all_or_nothing`, any failed row
//!   rolls everything back;
//! - an upload that cannot be read to its end, or has more than
//!   [`MAX_IMPORT_ROWS`] rows, stops the import: nothing is kept.
//!
//! Every import whose header is accepted, dry runs included, leaves a row
//! in the history (who, when, kind, rows read, written and failed, and the
//! error report): committed with the data, or written on its own after a
//! rollback. A header that is unreadable, or has unknown, repeated or
//! missing columns, refuses the request (422, field `header`) and leaves
//! none. While an import runs it holds the database's write lock on SQLite,
//! and on PostgreSQL the organization's time lock (time entries): other
//! writes of the organization's time wait for it.
//!
//! # Exporting
//!
//! [`CsvService::export_time_entries`] returns a stream of CSV chunks: the
//! header, then one chunk per keyset page of [`EXPORT_PAGE_ROWS`] stopped
//! entries, in start order. It holds one page at a time. Text a spreadsheet
//! could take for a formula is written with a leading `'`, which the import
//! removes ([`crate::columns::guard`]), so the export imports back exactly.
//! Each page's people are named by email too (`user_email`, through the
//! `Memberships` port), so a file can move to another organization once its
//! id columns are emptied.

mod export;
mod import;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use trellis_kernel::{Page, PageRequest, ports::OrgAccess};

use super::{TimeTrackingDeps, after, bulk::require_admin};
use crate::{
    entities::time_import,
    error::{Error, Result},
    ids::ImportId,
    model::{ImportReport, ImportRowError, ImportSummary},
};

/// Rows written per `INSERT`.
pub const IMPORT_BATCH_ROWS: usize = 500;
/// The most data rows one import reads.
pub const MAX_IMPORT_ROWS: u64 = 100_000;
/// The most errors a report keeps (the rest are counted).
pub const MAX_REPORTED_ERRORS: usize = 1_000;
/// Entries read per page of an export.
pub const EXPORT_PAGE_ROWS: u64 = 500;

/// A CSV export: chunks of UTF-8 CSV text, the header first.
pub type CsvStream = BoxStream<'static, Result<Bytes>>;

/// CSV imports, their history, and the time-entry export.
#[derive(Debug, Clone)]
pub struct CsvService {
    deps: Arc<TimeTrackingDeps>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

fn summary(row: time_import::Model) -> ImportSummary {
    ImportSummary {
        id: row.id,
        kind: row.kind,
        status: row.status,
        dry_run: row.dry_run,
        all_or_nothing: row.all_or_nothing,
        user_id: row.user_id,
        rows_read: count(row.rows_read),
        rows_written: count(row.rows_written),
        rows_failed: count(row.rows_failed),
        created_at: row.created_at.into(),
        finished_at: row.finished_at.into(),
    }
}

fn report(row: time_import::Model) -> ImportReport {
    let errors: Vec<ImportRowError> = serde_json::from_str(&row.errors).unwrap_or_else(|err| {
        tracing::warn!(import = %row.id, %err, "unreadable import error report");
        Vec::new()
    });
    ImportReport {
        id: row.id,
        kind: row.kind,
        status: row.status,
        dry_run: row.dry_run,
        all_or_nothing: row.all_or_nothing,
        user_id: row.user_id,
        rows_read: count(row.rows_read),
        rows_written: count(row.rows_written),
        rows_failed: count(row.rows_failed),
        errors,
        errors_omitted: count(row.errors_omitted),
        created_at: row.created_at.into(),
        finished_at: row.finished_at.into(),
    }
}

impl CsvService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// The organization's imports, newest first (admins).
    pub async fn imports(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        page: &PageRequest,
    ) -> Result<Page<ImportSummary>> {
        require_admin(access)?;
        let mut select =
            time_import::Entity::find().filter(time_import::Column::OrgId.eq(access.org_id()));
        if let Some(last) = after::<ImportId>(page)? {
            select = select.filter(time_import::Column::Id.lt(last));
        }
        let rows = select
            .order_by_desc(time_import::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |r| r.id, summary))
    }

    /// One import with its error report (admins).
    pub async fn import_report(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: ImportId,
    ) -> Result<ImportReport> {
        require_admin(access)?;
        time_import::Entity::find_by_id(id)
            .filter(time_import::Column::OrgId.eq(access.org_id()))
            .one(db)
            .await?
            .map(report)
            .ok_or(Error::ImportNotFound)
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use trellis_kernel::{Timestamp, id::UserId, testing::assert_same_json};

    use crate::{
        ids::ImportId,
        model::{ImportKind, ImportReport, ImportRowError, ImportStatus, ImportSummary},
    };

    fn at(secs: i64) -> Timestamp {
        Timestamp(DateTime::from_timestamp(secs, 0).unwrap_or_default())
    }

    #[test]
    fn import_views_serialize_as_their_schema() {
        for (kind, status) in [
            (ImportKind::Clients, ImportStatus::Validated),
            (ImportKind::Projects, ImportStatus::Committed),
            (ImportKind::TimeEntries, ImportStatus::RolledBack),
            (ImportKind::TimeEntries, ImportStatus::Aborted),
        ] {
            for set in [true, false] {
                let view = assert_same_json(&ImportReport {
                    id: ImportId::new(),
                    kind,
                    status,
                    dry_run: set,
                    all_or_nothing: !set,
                    user_id: set.then(UserId::new),
                    rows_read: 3,
                    rows_written: 1,
                    rows_failed: 2,
                    errors: vec![
                        ImportRowError {
                            row: 2,
                            field: set.then(|| "end_at".into()),
                            message: "must be after start_at".into(),
                        },
                        ImportRowError {
                            row: 4,
                            field: None,
                            message: "has 2 fields; the header has 3".into(),
                        },
                    ],
                    errors_omitted: u64::from(set),
                    created_at: at(1_790_000_000),
                    finished_at: at(1_790_000_005),
                });
                if !set {
                    assert!(view.get("user_id").is_none());
                    assert!(view["errors"][0].get("field").is_none());
                }
                assert_same_json(&ImportSummary {
                    id: ImportId::new(),
                    kind,
                    status,
                    dry_run: set,
                    all_or_nothing: !set,
                    user_id: set.then(UserId::new),
                    rows_read: 3,
                    rows_written: 1,
                    rows_failed: 2,
                    created_at: at(1_790_000_000),
                    finished_at: at(1_790_000_005),
                });
            }
        }
    }

    #[test]
    fn a_stored_error_report_reads_back() {
        let errors = vec![ImportRowError {
            row: 7,
            field: None,
            message: "x".into(),
        }];
        let text = serde_json::to_string(&errors).unwrap_or_default();
        assert_eq!(text, r#"[{"row":7,"message":"x"}]"#);
        let back: Vec<ImportRowError> = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, errors);
    }

    /// The import's future may move between threads (a gateway handler's
    /// must): this compiles only if it is `Send`.
    #[allow(dead_code)]
    fn import_is_send(
        csv: &super::CsvService,
        db: &sea_orm::DatabaseConnection,
        access: &trellis_kernel::ports::OrgAccess,
        options: crate::model::ImportOptions,
    ) {
        fn send<T: Send>(_: T) {}
        send(csv.import(db, access, options, &b""[..]));
    }
}
