//! The import: read a record, check it, batch it, write the batch.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
};
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Utc};
use csv_async::{AsyncReaderBuilder, ByteRecord, Position};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, TransactionSession, TransactionTrait,
};
use tokio::io::AsyncRead;
use trellis_kernel::{
    DomainError,
    id::UserId,
    ports::{AccessError, OrgAccess, OrgRole},
    types::{Currency, Email, Phone},
};
use validator::Validate;

use super::{CsvService, IMPORT_BATCH_ROWS, MAX_IMPORT_ROWS, MAX_REPORTED_ERRORS, report};
use crate::{
    columns::{Fields, Header, Problem, boolean, id, instant, number, typed},
    entities::{agency_client, project, task, time_entry, time_import},
    error::{Error, Result},
    ids::{AgencyClientId, ImportId, ProjectId, TaskId},
    model::{
        CreateAgencyClient, CreateProject, CreateTimeEntry, ImportKind, ImportOptions,
        ImportReport, ImportRowError, ImportStatus, ProjectStatus,
    },
    rounding::MAX_ENTRY_SECONDS,
    service::{
        TimeTrackingDeps,
        bulk::require_admin,
        clients::{client_row, new_client},
        entries::{Booking, new_entry, span},
        projects::{code, new_project},
        settings::{self, Settings},
    },
};

/// Entries each reference cache keeps before it starts afresh.
const CACHE_CAP: usize = 4_096;
/// Stored entries the overlap check fetches at most for one person of a
/// batch; past it, that person's rows are checked one at a time.
const OVERLAP_FETCH: u64 = 5_000;

/// A map that forgets everything when full: memory stays bounded, and the
/// references a file repeats (its few projects, its few people) stay warm.
struct Cache<K, V>(HashMap<K, V>);

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    fn new() -> Self {
        Self(HashMap::new())
    }

    fn get(&self, key: &K) -> Option<V> {
        self.0.get(key).cloned()
    }

    fn put(&mut self, key: K, value: V) {
        if self.0.len() >= CACHE_CAP {
            self.0.clear();
        }
        self.0.insert(key, value);
    }
}

/// The counts and the capped error report.
#[derive(Debug, Default)]
struct Tally {
    rows_read: u64,
    rows_written: u64,
    rows_failed: u64,
    errors: Vec<ImportRowError>,
    omitted: u64,
}

impl Tally {
    fn note(&mut self, row: u64, problem: Problem) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(ImportRowError {
                row,
                field: problem.field,
                message: problem.message,
            });
        } else {
            self.omitted += 1;
        }
    }

    fn fail(&mut self, row: u64, problems: Vec<Problem>) {
        self.rows_failed += 1;
        for problem in problems {
            self.note(row, problem);
        }
    }
}

/// What a row's check comes to: accepted into the batch, or its problems.
type Checked = std::result::Result<(), Vec<Problem>>;

/// The error a single operation would answer with, as a row's problems
/// (`field` where the error names none); a database failure stops the import.
fn problems(err: Error, field: &str) -> Result<Vec<Problem>> {
    match err {
        Error::Database(e) | Error::Access(AccessError::Database(e)) => Err(Error::Database(e)),
        Error::CsvWrite(_) => Err(err),
        Error::Validation(errors) => Ok(errors.into_iter().map(Problem::from).collect()),
        Error::TooShort => Ok(DomainError::field_errors(&err)
            .into_iter()
            .map(Problem::from)
            .collect()),
        other => Ok(vec![Problem::field(field, other.to_string())]),
    }
}

/// Keeps a parsed value, or the problem with it.
fn take<T>(bad: &mut Vec<Problem>, value: std::result::Result<T, Problem>) -> Option<T> {
    value.map_err(|p| bad.push(p)).ok()
}

/// What every check needs.
struct Ctx<'a, T> {
    txn: &'a T,
    access: &'a OrgAccess,
    deps: &'a TimeTrackingDeps,
    now: DateTime<Utc>,
}

/// The rows of one kind, checked and batched.
enum Importer {
    Clients(Clients),
    Projects(Projects),
    Entries(Box<Entries>),
}

impl Importer {
    async fn new<T: ConnectionTrait>(kind: ImportKind, cx: &Ctx<'_, T>) -> Result<Self> {
        Ok(match kind {
            ImportKind::Clients => Self::Clients(Clients { batch: Vec::new() }),
            ImportKind::Projects => Self::Projects(Projects {
                batch: Vec::new(),
                by_id: Cache::new(),
                by_name: Cache::new(),
            }),
            ImportKind::TimeEntries => Self::Entries(Box::new(Entries {
                // The organization's time lock, as every time-entry write takes it.
                settings: settings::lock(cx.txn, cx.access.org_id(), cx.now).await?,
                batch: Vec::new(),
                projects: Cache::new(),
                tasks: Cache::new(),
                members: Cache::new(),
                emails: Cache::new(),
            })),
        })
    }

    async fn check<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        line: u64,
        f: &Fields<'_>,
    ) -> Result<Checked> {
        match self {
            Self::Clients(c) => c.check(cx, f),
            Self::Projects(p) => p.check(cx, line, f).await,
            Self::Entries(e) => e.check(cx, line, f).await,
        }
    }

    fn pending(&self) -> usize {
        match self {
            Self::Clients(c) => c.batch.len(),
            Self::Projects(p) => p.batch.len(),
            Self::Entries(e) => e.batch.len(),
        }
    }

    async fn flush<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        tally: &mut Tally,
    ) -> Result<()> {
        match self {
            Self::Clients(c) => c.flush(cx, tally).await,
            Self::Projects(p) => p.flush(cx, tally).await,
            Self::Entries(e) => e.flush(cx, tally).await,
        }
    }
}

struct Clients {
    batch: Vec<agency_client::ActiveModel>,
}

impl Clients {
    fn check<T: ConnectionTrait>(&mut self, cx: &Ctx<'_, T>, f: &Fields<'_>) -> Result<Checked> {
        let mut bad = Vec::new();
        let name = take(&mut bad, f.required("name"));
        let email = take(&mut bad, f.parse("email", typed(Email::parse))).flatten();
        let phone = take(&mut bad, f.parse("phone", typed(Phone::parse))).flatten();
        let currency = take(
            &mut bad,
            f.required("currency")
                .and_then(|raw| typed(Currency::parse)("currency", raw)),
        );
        let rate = take(&mut bad, f.parse("hourly_rate_minor", number::<i64>)).flatten();
        let (Some(name), Some(currency), true) = (name, currency, bad.is_empty()) else {
            return Ok(Err(bad));
        };
        let cmd = CreateAgencyClient {
            name: name.to_string(),
            email,
            phone,
            address: f.get("address").map(str::to_string),
            currency,
            hourly_rate_minor: rate,
        };
        if let Err(e) = cmd.validate() {
            return Ok(Err(problems(e.into(), "name")?));
        }
        match new_client(cx.access, cmd, cx.now) {
            Ok(row) => {
                self.batch.push(row);
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(problems(e, "name")?)),
        }
    }

    async fn flush<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        tally: &mut Tally,
    ) -> Result<()> {
        let n = self.batch.len();
        if n > 0 {
            agency_client::Entity::insert_many(self.batch.drain(..))
                .exec(cx.txn)
                .await?;
            tally.rows_written += n as u64;
        }
        Ok(())
    }
}

struct Projects {
    /// Line, row, code (as stored).
    batch: Vec<(u64, project::ActiveModel, Option<String>)>,
    by_id: Cache<AgencyClientId, bool>,
    by_name: Cache<String, std::result::Result<AgencyClientId, String>>,
}

impl Projects {
    /// The client a row names, by id or else by exact name.
    async fn client<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        f: &Fields<'_>,
    ) -> Result<std::result::Result<AgencyClientId, Problem>> {
        if let Some(raw) = f.get("client_id") {
            let client = match id::<AgencyClientId>("client_id", raw) {
                Ok(client) => client,
                Err(p) => return Ok(Err(p)),
            };
            let known = match self.by_id.get(&client) {
                Some(known) => known,
                None => {
                    let known = match client_row(cx.txn, cx.access, client).await {
                        Ok(_) => true,
                        Err(Error::ClientNotFound) => false,
                        Err(e) => return Err(e),
                    };
                    self.by_id.put(client, known);
                    known
                }
            };
            return Ok(if known {
                Ok(client)
            } else {
                Err(Problem::field(
                    "client_id",
                    "no such client in the organization",
                ))
            });
        }
        let Some(name) = f.get("client_name") else {
            return Ok(Err(Problem::field(
                "client_name",
                "give client_id or client_name",
            )));
        };
        let found = match self.by_name.get(&name.to_string()) {
            Some(found) => found,
            None => {
                let ids: Vec<AgencyClientId> = agency_client::Entity::find()
                    .select_only()
                    .column(agency_client::Column::Id)
                    .filter(agency_client::Column::OrgId.eq(cx.access.org_id()))
                    .filter(agency_client::Column::Name.eq(name))
                    .limit(2)
                    .into_tuple()
                    .all(cx.txn)
                    .await?;
                let found = match ids.as_slice() {
                    [one] => Ok(*one),
                    [] => Err("no client of the organization has this name".to_string()),
                    _ => Err("several clients have this name: give client_id".to_string()),
                };
                self.by_name.put(name.to_string(), found.clone());
                found
            }
        };
        Ok(found.map_err(|m| Problem::field("client_name", m)))
    }

    async fn check<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        line: u64,
        f: &Fields<'_>,
    ) -> Result<Checked> {
        let mut bad = Vec::new();
        let client = match self.client(cx, f).await? {
            Ok(client) => Some(client),
            Err(p) => {
                bad.push(p);
                None
            }
        };
        let name = take(&mut bad, f.required("name"));
        let billable = take(&mut bad, f.parse("billable", boolean)).flatten();
        let rate = take(&mut bad, f.parse("hourly_rate_minor", number::<i64>)).flatten();
        let budget = take(&mut bad, f.parse("budget_hours", number::<i32>)).flatten();
        let (Some(client), Some(name), true) = (client, name, bad.is_empty()) else {
            return Ok(Err(bad));
        };
        let cmd = CreateProject {
            client_id: client,
            name: name.to_string(),
            code: f.get("code").map(str::to_string),
            billable,
            hourly_rate_minor: rate,
            budget_hours: budget,
            color: f.get("color").map(str::to_string),
        };
        if let Err(e) = cmd.validate() {
            return Ok(Err(problems(e.into(), "name")?));
        }
        let stored_code = code(cmd.code.clone());
        match new_project(cx.access, client, cmd, cx.now) {
            Ok(row) => {
                self.batch.push((line, row, stored_code));
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(problems(e, "name")?)),
        }
    }

    /// Refuses codes another project has (stored, or earlier in the file),
    /// then writes the rest.
    async fn flush<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        tally: &mut Tally,
    ) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let codes: Vec<String> = self.batch.iter().filter_map(|b| b.2.clone()).collect();
        let mut taken: HashSet<String> = if codes.is_empty() {
            HashSet::new()
        } else {
            project::Entity::find()
                .select_only()
                .column(project::Column::Code)
                .filter(project::Column::OrgId.eq(cx.access.org_id()))
                .filter(project::Column::Code.is_in(codes))
                .into_tuple::<Option<String>>()
                .all(cx.txn)
                .await?
                .into_iter()
                .flatten()
                .collect()
        };
        let mut keep = Vec::with_capacity(self.batch.len());
        for (line, row, code) in self.batch.drain(..) {
            if let Some(code) = code
                && !taken.insert(code)
            {
                tally.fail(
                    line,
                    vec![Problem::field("code", Error::ProjectCodeTaken.to_string())],
                );
                continue;
            }
            keep.push(row);
        }
        let n = keep.len();
        if n > 0 {
            // A project created meanwhile with one of these codes fails the
            // import (409) rather than a row: the check above saw the rest.
            project::Entity::insert_many(keep)
                .exec(cx.txn)
                .await
                .map_err(Error::unique(Error::ProjectCodeTaken))?;
            tally.rows_written += n as u64;
        }
        Ok(())
    }
}

/// How a row names its project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ProjectKey {
    Id(ProjectId),
    Code(String),
}

/// How a row names its task, within its project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum TaskKey {
    Id(ProjectId, TaskId),
    Title(ProjectId, String),
}

/// A project time may be booked on.
#[derive(Debug, Clone)]
struct ProjectRef {
    booking: Booking,
    billable: bool,
}

/// A stored entry's start and end (none while running).
type Span = (DateTime<Utc>, Option<DateTime<Utc>>);

/// A checked entry waiting for its batch.
struct Pending {
    line: u64,
    user: UserId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    row: time_entry::ActiveModel,
}

struct Entries {
    settings: Settings,
    batch: Vec<Pending>,
    projects: Cache<ProjectKey, std::result::Result<ProjectRef, String>>,
    tasks: Cache<TaskKey, std::result::Result<TaskId, String>>,
    members: Cache<UserId, bool>,
    emails: Cache<Email, Option<UserId>>,
}

impl Entries {
    /// The active project a row names, by id or else by code, with the rate in force.
    async fn project<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        f: &Fields<'_>,
    ) -> Result<std::result::Result<ProjectRef, Problem>> {
        let (field, key) = if let Some(raw) = f.get("project_id") {
            match id::<ProjectId>("project_id", raw) {
                Ok(project) => ("project_id", ProjectKey::Id(project)),
                Err(p) => return Ok(Err(p)),
            }
        } else if let Some(code) = f.get("project_code") {
            ("project_code", ProjectKey::Code(code.to_string()))
        } else {
            return Ok(Err(Problem::field(
                "project_code",
                "give project_id or project_code",
            )));
        };
        let found = match self.projects.get(&key) {
            Some(found) => found,
            None => {
                let org = project::Column::OrgId.eq(cx.access.org_id());
                let row = match &key {
                    ProjectKey::Id(project) => {
                        project::Entity::find_by_id(*project)
                            .filter(org)
                            .one(cx.txn)
                            .await?
                    }
                    ProjectKey::Code(code) => {
                        project::Entity::find()
                            .filter(org)
                            .filter(project::Column::Code.eq(code.as_str()))
                            .one(cx.txn)
                            .await?
                    }
                };
                let found = match row {
                    None => Err("no such project in the organization".to_string()),
                    Some(p) if p.status == ProjectStatus::Archived => {
                        Err(Error::ProjectArchived.to_string())
                    }
                    Some(p) => {
                        let client = client_row(cx.txn, cx.access, p.client_id).await?;
                        Ok(ProjectRef {
                            booking: Booking::of(&p, &client, None),
                            billable: p.billable,
                        })
                    }
                };
                self.projects.put(key, found.clone());
                found
            }
        };
        Ok(found.map_err(|m| Problem::field(field, m)))
    }

    /// The task a row names (by id, or else by exact title), which must be
    /// one of the entry's project.
    async fn task<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        project: ProjectId,
        f: &Fields<'_>,
    ) -> Result<std::result::Result<Option<TaskId>, Problem>> {
        let (field, key) = if let Some(raw) = f.get("task_id") {
            match id::<TaskId>("task_id", raw) {
                Ok(task) => ("task_id", TaskKey::Id(project, task)),
                Err(p) => return Ok(Err(p)),
            }
        } else if let Some(title) = f.get("task_title") {
            ("task_title", TaskKey::Title(project, title.to_string()))
        } else {
            return Ok(Ok(None));
        };
        let found = match self.tasks.get(&key) {
            Some(found) => found,
            None => {
                let org = task::Column::OrgId.eq(cx.access.org_id());
                let found = match &key {
                    TaskKey::Id(project, id) => {
                        match task::Entity::find_by_id(*id)
                            .filter(org)
                            .one(cx.txn)
                            .await?
                        {
                            None => Err("no such task".to_string()),
                            Some(t) if t.project_id != *project => {
                                Err("must be a task of the entry's project".to_string())
                            }
                            Some(t) => Ok(t.id),
                        }
                    }
                    TaskKey::Title(project, title) => {
                        let ids: Vec<TaskId> = task::Entity::find()
                            .select_only()
                            .column(task::Column::Id)
                            .filter(org)
                            .filter(task::Column::ProjectId.eq(*project))
                            .filter(task::Column::Title.eq(title.as_str()))
                            .limit(2)
                            .into_tuple()
                            .all(cx.txn)
                            .await?;
                        match ids.as_slice() {
                            [one] => Ok(*one),
                            [] => Err("no task of the project has this title".to_string()),
                            _ => Err("several tasks of the project have this title: give task_id"
                                .to_string()),
                        }
                    }
                };
                self.tasks.put(key, found.clone());
                found
            }
        };
        Ok(found.map(Some).map_err(|m| Problem::field(field, m)))
    }

    async fn is_member<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        user: UserId,
    ) -> Result<bool> {
        if let Some(known) = self.members.get(&user) {
            return Ok(known);
        }
        let member = cx
            .deps
            .memberships
            .role_of(user, cx.access.org_id())
            .await?
            .is_some();
        self.members.put(user, member);
        Ok(member)
    }

    /// The member a row names by email (`user_email`).
    async fn member_by_email<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        raw: &str,
    ) -> Result<std::result::Result<UserId, Problem>> {
        let email = match Email::parse(raw) {
            Ok(email) => email,
            Err(message) => return Ok(Err(Problem::field("user_email", message))),
        };
        let found = match self.emails.get(&email) {
            Some(found) => found,
            None => {
                let found = cx
                    .deps
                    .memberships
                    .member_by_email(cx.access.org_id(), &email)
                    .await?;
                if let Some(user) = found {
                    self.members.put(user, true);
                }
                self.emails.put(email, found);
                found
            }
        };
        Ok(found.ok_or_else(|| {
            Problem::field("user_email", "no member of the organization has this email")
        }))
    }

    async fn check<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        line: u64,
        f: &Fields<'_>,
    ) -> Result<Checked> {
        let mut bad = Vec::new();
        // The column that named the person, for the errors about them.
        let (user, user_field) = match (f.get("user_id"), f.get("user_email")) {
            (Some(raw), _) => (take(&mut bad, id::<UserId>("user_id", raw)), "user_id"),
            (None, Some(raw)) => (
                take(&mut bad, self.member_by_email(cx, raw).await?),
                "user_email",
            ),
            (None, None) => (Some(cx.access.user_id()), "user_id"),
        };
        let start = take(
            &mut bad,
            f.required("start_at")
                .and_then(|raw| instant("start_at", raw)),
        );
        let end = take(
            &mut bad,
            f.required("end_at").and_then(|raw| instant("end_at", raw)),
        );
        let billable = take(&mut bad, f.parse("billable", boolean)).flatten();
        let project = take(&mut bad, self.project(cx, f).await?);
        let task = match &project {
            Some(p) => take(&mut bad, self.task(cx, p.booking.project, f).await?).flatten(),
            None => None,
        };
        if let Some(user) = user
            && user != cx.access.user_id()
        {
            if !cx.access.at_least(OrgRole::Admin) {
                bad.push(Problem::field(user_field, Error::NotOwner.to_string()));
            } else if !self.is_member(cx, user).await? {
                bad.push(Problem::field(
                    user_field,
                    "must be a member of the organization",
                ));
            }
        }
        let (Some(user), Some(start), Some(end), Some(project), true) =
            (user, start, end, project, bad.is_empty())
        else {
            return Ok(Err(bad));
        };
        let cmd = CreateTimeEntry {
            user_id: Some(user),
            project_id: project.booking.project,
            task_id: task,
            description: f.get("description").map(str::to_string),
            start_at: start,
            end_at: end,
            billable,
        };
        if let Err(e) = cmd.validate() {
            return Ok(Err(problems(e.into(), "description")?));
        }
        let (start, end, seconds) = match span(&self.settings, cmd.start_at, cmd.end_at) {
            Ok(span) => span,
            Err(e) => return Ok(Err(problems(e, "end_at")?)),
        };
        if self.settings.is_locked(cx.access, start) {
            return Ok(Err(problems(Error::Locked, "start_at")?));
        }
        let row = new_entry(
            cx.access,
            user,
            Booking {
                task,
                ..project.booking
            },
            cmd.description,
            (start, end, seconds),
            cmd.billable.unwrap_or(project.billable),
            cx.now,
        );
        self.batch.push(Pending {
            line,
            user,
            start,
            end,
            row,
        });
        Ok(Ok(()))
    }

    /// The person's stored entries that may meet `[lo, hi)`: stopped ones
    /// ending after `lo`, and the running one if any; `None` if there are
    /// more than [`OVERLAP_FETCH`].
    ///
    /// A stopped entry lasts at most [`MAX_ENTRY_SECONDS`], so one ending
    /// after `lo` started less than that before it: the query reads a
    /// short range of the `(org, user, start)` index, not every earlier
    /// entry of the person. The running entry (one at most) comes from the
    /// partial index of running timers.
    async fn stored_spans<T: ConnectionTrait>(
        cx: &Ctx<'_, T>,
        user: UserId,
        (lo, hi): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Option<Vec<Span>>> {
        use time_entry::Column as C;
        let mut spans: Vec<Span> = time_entry::Entity::find()
            .select_only()
            .column(C::StartAt)
            .column(C::EndAt)
            .filter(C::OrgId.eq(cx.access.org_id()))
            .filter(C::UserId.eq(user))
            .filter(C::StartAt.gt(lo - chrono::Duration::seconds(MAX_ENTRY_SECONDS)))
            .filter(C::StartAt.lt(hi))
            .filter(C::EndAt.gt(lo))
            .limit(OVERLAP_FETCH + 1)
            .into_tuple()
            .all(cx.txn)
            .await?;
        if spans.len() as u64 > OVERLAP_FETCH {
            return Ok(None);
        }
        // No bound on the start here: SQLite then reads the partial index
        // of running timers rather than the person's whole history.
        let running: Option<Span> = time_entry::Entity::find()
            .select_only()
            .column(C::StartAt)
            .column(C::EndAt)
            .filter(C::OrgId.eq(cx.access.org_id()))
            .filter(C::UserId.eq(user))
            .filter(C::EndAt.is_null())
            .into_tuple()
            .one(cx.txn)
            .await?;
        spans.extend(running);
        Ok(Some(spans))
    }

    /// Drops (as failed) the rows overlapping a stored entry of the same
    /// person, or an earlier row of the batch. One query per person of the
    /// batch fetches their stored entries over the span of their rows in
    /// it; where that is more than [`OVERLAP_FETCH`] entries (rows far
    /// apart in time), each of their rows is looked up on its own.
    async fn without_overlaps<T: ConnectionTrait>(
        &self,
        cx: &Ctx<'_, T>,
        batch: Vec<Pending>,
        tally: &mut Tally,
    ) -> Result<Vec<Pending>> {
        let mut windows: HashMap<UserId, (DateTime<Utc>, DateTime<Utc>)> = HashMap::new();
        for p in &batch {
            let window = windows.entry(p.user).or_insert((p.start, p.end));
            window.0 = window.0.min(p.start);
            window.1 = window.1.max(p.end);
        }
        // Per person: their stored spans, or `None` to look row by row.
        let mut stored = HashMap::with_capacity(windows.len());
        for (user, window) in windows {
            stored.insert(user, Self::stored_spans(cx, user, window).await?);
        }
        let mut keep: Vec<Pending> = Vec::with_capacity(batch.len());
        for p in batch {
            let meets = |&(s, e): &Span| s < p.end && e.is_none_or(|e| e > p.start);
            let stored_clash = match stored.get(&p.user) {
                Some(Some(spans)) => spans.iter().any(meets),
                _ => Self::stored_spans(cx, p.user, (p.start, p.end))
                    .await?
                    .is_none_or(|spans| spans.iter().any(meets)),
            };
            let clash = stored_clash
                || keep
                    .iter()
                    .any(|k| k.user == p.user && k.start < p.end && k.end > p.start);
            if clash {
                tally.fail(
                    p.line,
                    vec![Problem::field("start_at", Error::Overlap.to_string())],
                );
            } else {
                keep.push(p);
            }
        }
        Ok(keep)
    }

    async fn flush<T: ConnectionTrait>(
        &mut self,
        cx: &Ctx<'_, T>,
        tally: &mut Tally,
    ) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let keep = if self.settings.allow_overlaps {
            batch
        } else {
            self.without_overlaps(cx, batch, tally).await?
        };
        let n = keep.len();
        if n > 0 {
            time_entry::Entity::insert_many(keep.into_iter().map(|p| p.row))
                .exec(cx.txn)
                .await?;
            tally.rows_written += n as u64;
        }
        Ok(())
    }
}

/// Reads every record and checks, batches and writes it. `true` if the
/// import stopped before the end of the file.
async fn read_rows<R: AsyncRead + Unpin + Send, T: ConnectionTrait>(
    cx: &Ctx<'_, T>,
    kind: ImportKind,
    header: &Header,
    reader: &mut csv_async::AsyncReader<R>,
    tally: &mut Tally,
) -> Result<bool> {
    let mut importer = Importer::new(kind, cx).await?;
    // One record buffer for the whole file: it grows to the longest record.
    let mut record = ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                tracing::warn!(%err, "an import's upload could not be read");
                tally.note(
                    reader.position().line(),
                    Problem::row("the file could not be read to its end; nothing was imported"),
                );
                return Ok(true);
            }
        }
        let line = record.position().map_or(0, Position::line);
        if tally.rows_read >= MAX_IMPORT_ROWS {
            tally.note(
                line,
                Problem::row(format!(
                    "the file has more than {MAX_IMPORT_ROWS} rows: split it; nothing was imported"
                )),
            );
            return Ok(true);
        }
        tally.rows_read += 1;
        let checked = match header.fields(&record) {
            Ok(fields) => importer.check(cx, line, &fields).await?,
            Err(problems) => Err(problems),
        };
        if let Err(problems) = checked {
            tally.fail(line, problems);
        }
        if importer.pending() >= IMPORT_BATCH_ROWS {
            importer.flush(cx, tally).await?;
        }
    }
    importer.flush(cx, tally).await?;
    Ok(false)
}

fn stored_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl CsvService {
    /// Imports a CSV file of clients, projects or time entries (admins);
    /// see the [module](super) for the modes, the transaction and the
    /// history, and [`crate::columns`] for the columns.
    ///
    /// A header that cannot be read, or names unknown, repeated or missing
    /// columns, is refused (422, field `header`). Otherwise the report says
    /// what became of every row; it is also kept in the history.
    #[tracing::instrument(
        skip_all,
        fields(org = %access.org_id(), kind = ?options.kind, dry_run = options.dry_run)
    )]
    pub async fn import<C, R>(
        &self,
        db: &C,
        access: &OrgAccess,
        options: ImportOptions,
        input: R,
    ) -> Result<ImportReport>
    where
        C: ConnectionTrait + TransactionTrait,
        R: AsyncRead + Unpin + Send,
    {
        require_admin(access)?;
        let mut reader = AsyncReaderBuilder::new()
            .has_headers(true)
            // Rows of the wrong width are reported, not fatal.
            .flexible(true)
            .create_reader(input);
        let header = match reader.byte_headers().await {
            Ok(header) => Header::parse(options.kind, header).map_err(Error::Validation)?,
            Err(err) => {
                tracing::warn!(%err, "an import's header could not be read");
                return Err(Error::field("header", "the file could not be read"));
            }
        };
        let started = self.deps.clock.now();
        let id = ImportId::new();
        let mut history = time_import::ActiveModel {
            id: Set(id),
            org_id: Set(access.org_id()),
            user_id: Set(Some(access.user_id())),
            kind: Set(options.kind),
            dry_run: Set(options.dry_run),
            all_or_nothing: Set(options.all_or_nothing),
            status: Set(ImportStatus::Committed),
            rows_read: Set(0),
            rows_written: Set(0),
            rows_failed: Set(0),
            errors_omitted: Set(0),
            errors: Set("[]".into()),
            created_at: Set(started),
            finished_at: Set(started),
        };
        let txn = db.begin_write().await?;
        // The transaction's first statement is a write (SQLite).
        history.clone().insert(&txn).await?;
        let mut tally = Tally::default();
        let cx = Ctx {
            txn: &txn,
            access,
            deps: &self.deps,
            now: started,
        };
        let aborted = read_rows(&cx, options.kind, &header, &mut reader, &mut tally).await?;
        let status = if aborted {
            ImportStatus::Aborted
        } else if options.dry_run {
            ImportStatus::Validated
        } else if options.all_or_nothing && tally.rows_failed > 0 {
            ImportStatus::RolledBack
        } else {
            ImportStatus::Committed
        };
        if status != ImportStatus::Committed {
            tally.rows_written = 0;
        }
        // Batch checks report after the rows read meanwhile: back to file order.
        tally.errors.sort_by_key(|e| e.row);
        history.status = Set(status);
        history.rows_read = Set(stored_count(tally.rows_read));
        history.rows_written = Set(stored_count(tally.rows_written));
        history.rows_failed = Set(stored_count(tally.rows_failed));
        history.errors_omitted = Set(stored_count(tally.omitted));
        history.errors = Set(serde_json::to_string(&tally.errors).unwrap_or_else(|_| "[]".into()));
        history.finished_at = Set(self.deps.clock.now());
        let row = if status == ImportStatus::Committed {
            let row = history.update(&txn).await?;
            txn.commit().await?;
            row
        } else {
            txn.rollback().await?;
            history.insert(db).await?
        };
        tracing::info!(
            import = %id,
            ?status,
            read = tally.rows_read,
            written = tally.rows_written,
            failed = tally.rows_failed,
            "import finished"
        );
        Ok(report(row))
    }
}
