//! Time tracking, under `/api/v1/orgs/{org_id}`: the agency's clients,
//! projects, tasks and their comments, time entries and the caller's timer,
//! the summary report and the organization's time settings.
//!
//! Every route is organization-scoped: `OrgMember<R>` proves the caller's
//! membership and role (a foreign organization is 404 `org.not_found`, a
//! weak role 403 `org.role_required`) and the services scope every query to
//! that organization, so another organization's ids are 404 too. The finer
//! rules (only an entry's owner or an admin changes it, only a comment's
//! author edits it, the lock date, admin-only settings) are the services',
//! so these handlers hold no access checks.
//!
//! In bulk: CSV imports (with their history) and the export of time
//! entries ([`csv`]), and changes to many tasks or clients at once ([`bulk`]).

pub mod bulk;
pub mod clients;
pub mod csv;
pub mod entries;
pub mod projects;
pub mod reports;
pub mod settings;
pub mod tasks;
pub mod timer;

/// Time-tracking operations on the public listener.
pub type Public = (
    clients::ClientsApi,
    projects::ProjectsApi,
    tasks::TasksApi,
    entries::TimeEntriesApi,
    timer::TimerApi,
    reports::ReportsApi,
    settings::TimeSettingsApi,
    csv::CsvApi,
    bulk::BulkApi,
);

/// Time-tracking operations on the internal listener: none yet.
pub type Internal = ();
