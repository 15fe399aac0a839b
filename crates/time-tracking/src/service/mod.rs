//! Time-tracking services. Each takes the connection (or transaction) to
//! work in and the caller's [`OrgAccess`](trellis_kernel::ports::OrgAccess):
//! every query is scoped to that organization, so another organization's
//! ids are simply not found.

mod billing;
mod bulk;
mod clients;
mod csv;
mod entries;
mod projects;
mod reports;
mod settings;
mod tasks;

use std::sync::Arc;

pub use billing::BillableTimeService;
pub use bulk::MAX_BULK_IDS;
pub use clients::AgencyClientService;
pub use csv::{
    CsvService, CsvStream, EXPORT_PAGE_ROWS, IMPORT_BATCH_ROWS, MAX_IMPORT_ROWS,
    MAX_REPORTED_ERRORS,
};
pub use entries::TimeEntryService;
pub use projects::ProjectService;
pub use reports::ReportService;
use serde::de::DeserializeOwned;
pub use settings::TimeSettingsService;
pub use tasks::TaskService;
use trellis_kernel::{PageRequest, SharedClock, ports::Memberships};

use crate::error::{Error, Result};

/// What every time-tracking service needs.
#[derive(Clone)]
pub struct TimeTrackingDeps {
    /// Now.
    pub clock: SharedClock,
    /// Organization memberships: an assignee, or the person an admin logs
    /// time for, must be a member.
    pub memberships: Arc<dyn Memberships>,
}

impl std::fmt::Debug for TimeTrackingDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimeTrackingDeps")
    }
}

/// Every time-tracking service.
#[derive(Debug, Clone)]
pub struct TimeTracking {
    /// The agency's clients.
    pub clients: AgencyClientService,
    /// Projects.
    pub projects: ProjectService,
    /// Tasks and their comments.
    pub tasks: TaskService,
    /// Time entries and timers.
    pub entries: TimeEntryService,
    /// Time zone, overlaps, lock date, rounding.
    pub settings: TimeSettingsService,
    /// The summary report.
    pub reports: ReportService,
    /// Unbilled time for invoices.
    pub billing: BillableTimeService,
    /// CSV imports (and their history) and the time-entry export.
    pub csv: CsvService,
}

impl TimeTracking {
    /// Wires the services.
    pub fn new(deps: TimeTrackingDeps) -> Self {
        let deps = Arc::new(deps);
        Self {
            clients: AgencyClientService::new(deps.clone()),
            projects: ProjectService::new(deps.clone()),
            tasks: TaskService::new(deps.clone()),
            entries: TimeEntryService::new(deps.clone()),
            settings: TimeSettingsService::new(deps.clone()),
            reports: ReportService::new(deps.clone()),
            billing: BillableTimeService::new(deps.clone()),
            csv: CsvService::new(deps),
        }
    }
}

/// The key a page continues after.
fn after<K: DeserializeOwned>(page: &PageRequest) -> Result<Option<K>> {
    page.key()
        .map_err(|e| Error::field("cursor", e.to_string()))
}

/// A required text field of a PATCH, trimmed and checked for length.
fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_string())
}

/// An optional text field: blank is none.
fn optional_text(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
