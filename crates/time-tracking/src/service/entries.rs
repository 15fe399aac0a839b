//! Time entries and timers.
//!
//! Every write runs in a transaction that starts by taking the
//! organization's time lock ([`settings::lock`]): the write comes first
//! (SQLite), the overlap check and the insert cannot be interleaved with
//! another write of the same organization (PostgreSQL), and the rules read
//! are the ones in force at commit.
//!
//! The rules, in the order they are applied:
//! - rounding ([`crate::rounding`]) moves the start and end being written
//!   to the grid first, so what is validated is what is stored: no entry of
//!   zero or negative length (422 `time_entry.too_short`), none longer than
//!   a week;
//! - the lock date: an entry starting before it is read-only, and none may
//!   be written there, except by admins (403 `time_entry.locked`);
//! - members change their own entries, admins anyone's (403);
//! - an entry on an invoice is read-only until released (409);
//! - a person's entries may not overlap unless the organization allows it
//!   (409 `time_entry.overlap`); a running entry occupies everything from
//!   its start on, and an edit is checked against the others, not itself;
//! - one running timer per person and organization, enforced by the
//!   partial unique index `ux_time_entries_running` (409 `time_entry.timer_running`).
//!
//! The rate is a snapshot: the project's rate, else its client's default,
//! taken when the entry is created and again only when it moves to another
//! project, so later rate changes never reprice logged time.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter, QueryOrder, QuerySelect, Select, TransactionSession,
    TransactionTrait, sea_query::Query,
};
use trellis_kernel::{
    Page, PageRequest,
    id::UserId,
    ports::{OrgAccess, OrgRole},
};
use validator::Validate;

use super::{
    TimeTrackingDeps, after,
    clients::client_row,
    optional_text,
    projects::project_row,
    settings::{self, Settings},
    tasks::task_row,
};
use crate::{
    entities::{agency_client, project, time_entry},
    error::{Error, Result},
    ids::{ProjectId, TaskId, TimeEntryId},
    model::{
        CreateTimeEntry, ProjectStatus, StartTimer, TimeEntryFilter, TimeEntryView, UpdateTimeEntry,
    },
    rounding::{self, EARLIEST_START_SECS, MAX_ENTRY_SECONDS},
    view,
};

/// What an entry is booked on: its project, task and the rate snapshot.
#[derive(Debug, Clone)]
pub(crate) struct Booking {
    pub project: ProjectId,
    pub task: Option<TaskId>,
    pub rate_minor: Option<i64>,
    pub currency: String,
}

impl Booking {
    /// The booking on a project (of `client`): the project's rate, else
    /// its client's, in the client's currency.
    pub fn of(
        project: &project::Model,
        client: &agency_client::Model,
        task: Option<TaskId>,
    ) -> Self {
        Self {
            project: project.id,
            task,
            rate_minor: project.hourly_rate_minor.or(client.hourly_rate_minor),
            currency: client.currency.clone(),
        }
    }
}

/// The row of a new stopped entry (create and import); `span` is rounded
/// and checked already.
pub(crate) fn new_entry(
    access: &OrgAccess,
    user: UserId,
    booking: Booking,
    description: Option<String>,
    (start, end, seconds): Span,
    billable: bool,
    now: DateTime<Utc>,
) -> time_entry::ActiveModel {
    time_entry::ActiveModel {
        id: Set(TimeEntryId::new()),
        org_id: Set(access.org_id()),
        user_id: Set(user),
        project_id: Set(booking.project),
        task_id: Set(booking.task),
        description: Set(optional_text(description)),
        start_at: Set(start),
        end_at: Set(Some(end)),
        duration_seconds: Set(Some(seconds)),
        billable: Set(billable),
        rate_minor: Set(booking.rate_minor),
        currency: Set(booking.currency),
        billed_invoice_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The organization's entries that `filter` selects (unordered).
pub(crate) fn filtered(access: &OrgAccess, filter: &TimeEntryFilter) -> Select<time_entry::Entity> {
    use time_entry::Column as C;
    let mut select = time_entry::Entity::find().filter(C::OrgId.eq(access.org_id()));
    if let Some(user) = filter.user_id {
        select = select.filter(C::UserId.eq(user));
    }
    if let Some(project) = filter.project_id {
        select = select.filter(C::ProjectId.eq(project));
    }
    if let Some(client) = filter.client_id {
        select = select.filter(
            C::ProjectId.in_subquery(
                Query::select()
                    .column(project::Column::Id)
                    .from(project::Entity)
                    .and_where(project::Column::OrgId.eq(access.org_id()))
                    .and_where(project::Column::ClientId.eq(client))
                    .to_owned(),
            ),
        );
    }
    if let Some(task) = filter.task_id {
        select = select.filter(C::TaskId.eq(task));
    }
    if let Some(billable) = filter.billable {
        select = select.filter(C::Billable.eq(billable));
    }
    if let Some(from) = filter.from {
        select = select.filter(C::StartAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(C::StartAt.lt(to));
    }
    match filter.running {
        Some(true) => select = select.filter(C::EndAt.is_null()),
        Some(false) => select = select.filter(C::EndAt.is_not_null()),
        None => {}
    }
    select
}

/// A stopped entry's span once rounded: start, end, seconds.
pub(crate) type Span = (DateTime<Utc>, DateTime<Utc>, i64);

/// Rounds a stopped entry's instants and checks what is left.
pub(crate) fn span(settings: &Settings, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Span> {
    let start = rounding::snap(start, settings.rounding);
    let end = rounding::snap(end, settings.rounding);
    Ok((start, end, length(start, end)?))
}

/// The seconds from `start` to `end`, which must be positive and at most a week.
fn length(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<i64> {
    check_start(start)?;
    let seconds = (end - start).num_seconds();
    if seconds <= 0 {
        return Err(Error::TooShort);
    }
    if seconds > MAX_ENTRY_SECONDS {
        return Err(Error::field("end_at", "an entry may last at most 7 days"));
    }
    Ok(seconds)
}

fn check_start(start: DateTime<Utc>) -> Result<()> {
    if start.timestamp() < EARLIEST_START_SECS {
        return Err(Error::field(
            "start_at",
            "must be in the year 2000 or later",
        ));
    }
    Ok(())
}

/// The caller may change the entry: theirs, or they are an admin.
fn check_owner(access: &OrgAccess, entry: &time_entry::Model) -> Result<()> {
    if entry.user_id != access.user_id() && !access.at_least(OrgRole::Admin) {
        return Err(Error::NotOwner);
    }
    Ok(())
}

/// The row of one of the organization's entries.
async fn entry_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    id: TimeEntryId,
) -> Result<time_entry::Model> {
    time_entry::Entity::find_by_id(id)
        .filter(time_entry::Column::OrgId.eq(access.org_id()))
        .one(db)
        .await?
        .ok_or(Error::EntryNotFound)
}

/// The person's running entry in the organization, if any.
async fn running_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    user: UserId,
) -> Result<Option<time_entry::Model>> {
    Ok(time_entry::Entity::find()
        .filter(time_entry::Column::OrgId.eq(access.org_id()))
        .filter(time_entry::Column::UserId.eq(user))
        .filter(time_entry::Column::EndAt.is_null())
        .one(db)
        .await?)
}

/// Refuses `[start, end)` (`end` `None`: running, open-ended) if it meets
/// another entry of the person, unless the organization allows overlaps.
async fn check_overlap(
    db: &impl ConnectionTrait,
    settings: &Settings,
    access: &OrgAccess,
    user: UserId,
    (start, end): (DateTime<Utc>, Option<DateTime<Utc>>),
    itself: Option<TimeEntryId>,
) -> Result<()> {
    if settings.allow_overlaps {
        return Ok(());
    }
    let mut query = time_entry::Entity::find()
        .select_only()
        .column(time_entry::Column::Id)
        .filter(time_entry::Column::OrgId.eq(access.org_id()))
        .filter(time_entry::Column::UserId.eq(user))
        .filter(
            Condition::any()
                .add(time_entry::Column::EndAt.is_null())
                .add(time_entry::Column::EndAt.gt(start)),
        );
    if let Some(end) = end {
        query = query.filter(time_entry::Column::StartAt.lt(end));
    }
    if let Some(id) = itself {
        query = query.filter(time_entry::Column::Id.ne(id));
    }
    let clash: Option<TimeEntryId> = query.limit(1).into_tuple().one(db).await?;
    if clash.is_some() {
        return Err(Error::Overlap);
    }
    Ok(())
}

/// Time entries and timers.
#[derive(Debug, Clone)]
pub struct TimeEntryService {
    deps: Arc<TimeTrackingDeps>,
}

impl TimeEntryService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// Resolves an active project of the organization and a task of it,
    /// with the rate in force: the project's, else its client's.
    async fn booking(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        project: ProjectId,
        task: Option<TaskId>,
    ) -> Result<(project::Model, Booking)> {
        let project = project_row(db, access, project).await?;
        if project.status == ProjectStatus::Archived {
            return Err(Error::ProjectArchived);
        }
        let client = client_row(db, access, project.client_id).await?;
        self.check_task(db, access, project.id, task).await?;
        let booking = Booking::of(&project, &client, task);
        Ok((project, booking))
    }

    /// A task must belong to the entry's project (422 otherwise).
    async fn check_task(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        project: ProjectId,
        task: Option<TaskId>,
    ) -> Result<()> {
        if let Some(task) = task {
            let task = task_row(db, access, task).await.map_err(|e| match e {
                Error::TaskNotFound => Error::field("task_id", "no such task"),
                other => other,
            })?;
            if task.project_id != project {
                return Err(Error::field(
                    "task_id",
                    "must be a task of the entry's project",
                ));
            }
        }
        Ok(())
    }

    /// Logs time: the caller's, or (admins) another member's.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn create<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        cmd: CreateTimeEntry,
    ) -> Result<TimeEntryView> {
        cmd.validate()?;
        let user = cmd.user_id.unwrap_or(access.user_id());
        if user != access.user_id() {
            if !access.at_least(OrgRole::Admin) {
                return Err(Error::NotOwner);
            }
            if self
                .deps
                .memberships
                .role_of(user, access.org_id())
                .await?
                .is_none()
            {
                return Err(Error::field(
                    "user_id",
                    "must be a member of the organization",
                ));
            }
        }
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let settings = settings::lock(&txn, access.org_id(), now).await?;
        let (project, booking) = self
            .booking(&txn, access, cmd.project_id, cmd.task_id)
            .await?;
        let (start, end, seconds) = span(&settings, cmd.start_at, cmd.end_at)?;
        if settings.is_locked(access, start) {
            return Err(Error::Locked);
        }
        check_overlap(&txn, &settings, access, user, (start, Some(end)), None).await?;
        let row = new_entry(
            access,
            user,
            booking,
            cmd.description,
            (start, end, seconds),
            cmd.billable.unwrap_or(project.billable),
            now,
        )
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(view::entry(row))
    }

    /// One entry (any member may read the organization's time).
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: TimeEntryId,
    ) -> Result<TimeEntryView> {
        Ok(view::entry(entry_row(db, access, id).await?))
    }

    /// Entries, newest start first. Running entries are included.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        filter: TimeEntryFilter,
        page: &PageRequest,
    ) -> Result<Page<TimeEntryView>> {
        use time_entry::Column as C;
        let mut select = filtered(access, &filter);
        if let Some((start, id)) = after::<(DateTime<Utc>, TimeEntryId)>(page)? {
            select = select.filter(
                Condition::any()
                    .add(C::StartAt.lt(start))
                    .add(Condition::all().add(C::StartAt.eq(start)).add(C::Id.lt(id))),
            );
        }
        let rows = select
            .order_by_desc(C::StartAt)
            .order_by_desc(C::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(
            rows,
            page,
            |e| (e.start_at, e.id),
            view::entry,
        ))
    }

    /// Changes an entry (its owner, or an admin). A running entry given an
    /// end stops; one moved to another project takes that project's rate.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), entry = %id))]
    pub async fn update<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        id: TimeEntryId,
        cmd: UpdateTimeEntry,
    ) -> Result<TimeEntryView> {
        if let Some(d) = cmd.description.value()
            && d.chars().count() > 2000
        {
            return Err(Error::field(
                "description",
                "must be at most 2000 characters",
            ));
        }
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let settings = settings::lock(&txn, access.org_id(), now).await?;
        let mut row = entry_row(&txn, access, id).await?;
        check_owner(access, &row)?;
        if row.billed_invoice_id.is_some() {
            return Err(Error::Billed);
        }
        if settings.is_locked(access, row.start_at) {
            return Err(Error::Locked);
        }
        let task = match cmd.task_id {
            MaybeUndefined::Undefined => row.task_id,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(task) => Some(task),
        };
        match cmd.project_id.filter(|p| *p != row.project_id) {
            Some(project) => {
                let (_, booking) = self.booking(&txn, access, project, task).await?;
                row.project_id = booking.project;
                row.rate_minor = booking.rate_minor;
                row.currency = booking.currency;
            }
            None if task != row.task_id => {
                self.check_task(&txn, access, row.project_id, task).await?;
            }
            None => {}
        }
        row.task_id = task;
        cmd.description.update_to(&mut row.description);
        row.description = optional_text(row.description);
        if let Some(billable) = cmd.billable {
            row.billable = billable;
        }
        // Only the instants given are rounded: an entry written before the
        // rule changed keeps its times when only its description is edited.
        let moved = cmd.start_at.is_some() || cmd.end_at.is_some();
        if let Some(start) = cmd.start_at {
            row.start_at = rounding::snap(start, settings.rounding);
        }
        if let Some(end) = cmd.end_at {
            row.end_at = Some(rounding::snap(end, settings.rounding));
        }
        match row.end_at {
            Some(end) => row.duration_seconds = Some(length(row.start_at, end)?),
            None => check_start(row.start_at)?,
        }
        if settings.is_locked(access, row.start_at) {
            return Err(Error::Locked);
        }
        if moved {
            check_overlap(
                &txn,
                &settings,
                access,
                row.user_id,
                (row.start_at, row.end_at),
                Some(row.id),
            )
            .await?;
        }
        row.updated_at = now;
        let mut active = row.into_active_model();
        for column in [
            time_entry::Column::ProjectId,
            time_entry::Column::TaskId,
            time_entry::Column::Description,
            time_entry::Column::StartAt,
            time_entry::Column::EndAt,
            time_entry::Column::DurationSeconds,
            time_entry::Column::Billable,
            time_entry::Column::RateMinor,
            time_entry::Column::Currency,
            time_entry::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        let row = active.update(&txn).await?;
        txn.commit().await?;
        Ok(view::entry(row))
    }

    /// Deletes an entry (its owner, or an admin), running or not.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), entry = %id))]
    pub async fn delete<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        id: TimeEntryId,
    ) -> Result<()> {
        let txn = db.begin_write().await?;
        let settings = settings::lock(&txn, access.org_id(), self.deps.clock.now()).await?;
        let row = entry_row(&txn, access, id).await?;
        check_owner(access, &row)?;
        if row.billed_invoice_id.is_some() {
            return Err(Error::Billed);
        }
        if settings.is_locked(access, row.start_at) {
            return Err(Error::Locked);
        }
        row.delete(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The caller's running timer, if any.
    pub async fn running(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
    ) -> Result<Option<TimeEntryView>> {
        Ok(running_row(db, access, access.user_id())
            .await?
            .map(view::entry))
    }

    /// Starts the caller's timer now. A timer already running is stopped
    /// first (at the same instant, so the two are back to back); if that
    /// one rounds to nothing it is dropped rather than refused, since
    /// switching tasks right after starting the wrong one is ordinary.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn start_timer<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        cmd: StartTimer,
    ) -> Result<TimeEntryView> {
        cmd.validate()?;
        let user = access.user_id();
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let settings = settings::lock(&txn, access.org_id(), now).await?;
        let (project, booking) = self
            .booking(&txn, access, cmd.project_id, cmd.task_id)
            .await?;
        if let Some(running) = running_row(&txn, access, user).await? {
            self.finish(&txn, &settings, access, running, now, true)
                .await?;
        }
        let start = rounding::snap(now, settings.rounding);
        check_start(start)?;
        if settings.is_locked(access, start) {
            return Err(Error::Locked);
        }
        check_overlap(&txn, &settings, access, user, (start, None), None).await?;
        let row = time_entry::ActiveModel {
            id: Set(TimeEntryId::new()),
            org_id: Set(access.org_id()),
            user_id: Set(user),
            project_id: Set(booking.project),
            task_id: Set(booking.task),
            description: Set(optional_text(cmd.description)),
            start_at: Set(start),
            end_at: Set(None),
            duration_seconds: Set(None),
            billable: Set(cmd.billable.unwrap_or(project.billable)),
            rate_minor: Set(booking.rate_minor),
            currency: Set(booking.currency),
            billed_invoice_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(Error::unique(Error::TimerRunning))?;
        txn.commit().await?;
        Ok(view::entry(row))
    }

    /// Stops the caller's running timer now. One that rounds to nothing is
    /// refused (422 `time_entry.too_short`) and keeps running: the caller
    /// may delete it.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn stop_timer<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
    ) -> Result<TimeEntryView> {
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let settings = settings::lock(&txn, access.org_id(), now).await?;
        let running = running_row(&txn, access, access.user_id())
            .await?
            .ok_or(Error::NoTimer)?;
        let stopped = self
            .finish(&txn, &settings, access, running, now, false)
            .await?
            .ok_or(Error::TooShort)?;
        txn.commit().await?;
        Ok(view::entry(stopped))
    }

    /// Ends a running entry at `now`, rounded. With `drop_empty`, an entry
    /// left with no length is deleted (`None`); without, it is refused.
    async fn finish(
        &self,
        txn: &impl ConnectionTrait,
        settings: &Settings,
        access: &OrgAccess,
        running: time_entry::Model,
        now: DateTime<Utc>,
        drop_empty: bool,
    ) -> Result<Option<time_entry::Model>> {
        if settings.is_locked(access, running.start_at) {
            return Err(Error::Locked);
        }
        let (start, end, seconds) = match span(settings, running.start_at, now) {
            Err(Error::TooShort) if drop_empty => {
                running.delete(txn).await?;
                return Ok(None);
            }
            other => other?,
        };
        check_overlap(
            txn,
            settings,
            access,
            running.user_id,
            (start, Some(end)),
            Some(running.id),
        )
        .await?;
        let mut active = running.into_active_model();
        active.start_at = Set(start);
        active.end_at = Set(Some(end));
        active.duration_seconds = Set(Some(seconds));
        active.updated_at = Set(now);
        Ok(Some(active.update(txn).await?))
    }
}
