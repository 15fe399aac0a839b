//! The time-entry export: keyset pages of entries written as CSV chunks.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use csv_async::{AsyncWriterBuilder, Terminator};
use futures_util::{StreamExt, stream};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use trellis_kernel::{FieldError, id::UserId, ports::OrgAccess};

use super::{CsvService, CsvStream, EXPORT_PAGE_ROWS};
use crate::{
    columns::{TIME_ENTRY_HEADER, guard},
    entities::{project, task, time_entry},
    error::{Error, Result},
    ids::{ProjectId, TaskId, TimeEntryId},
    model::TimeEntryFilter,
    service::{TimeTrackingDeps, entries::filtered},
};

/// Where an export stands between two chunks.
struct Export<C> {
    db: C,
    deps: Arc<TimeTrackingDeps>,
    access: OrgAccess,
    filter: TimeEntryFilter,
    /// The last entry written: the keyset the next page starts after.
    after: Option<(DateTime<Utc>, TimeEntryId)>,
    header_sent: bool,
    done: bool,
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl<C: ConnectionTrait + Send + Sync> Export<C> {
    /// The next chunk: the header, then a page of entries.
    async fn next(mut self) -> Result<Option<(Bytes, Self)>> {
        use time_entry::Column as E;
        if !self.header_sent {
            self.header_sent = true;
            return Ok(Some((Bytes::from(format!("{TIME_ENTRY_HEADER}\n")), self)));
        }
        if self.done {
            return Ok(None);
        }
        let mut select = filtered(&self.access, &self.filter).filter(E::EndAt.is_not_null());
        if let Some((start, id)) = self.after {
            select = select.filter(
                Condition::any()
                    .add(E::StartAt.gt(start))
                    .add(Condition::all().add(E::StartAt.eq(start)).add(E::Id.gt(id))),
            );
        }
        let rows = select
            .order_by_asc(E::StartAt)
            .order_by_asc(E::Id)
            .limit(EXPORT_PAGE_ROWS)
            .all(&self.db)
            .await?;
        self.done = (rows.len() as u64) < EXPORT_PAGE_ROWS;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = Some((last.start_at, last.id));
        let chunk = self.write(&rows).await?;
        Ok(Some((chunk, self)))
    }

    /// A page as CSV, with its people's emails, its projects' codes and
    /// its tasks' titles.
    async fn write(&self, rows: &[time_entry::Model]) -> Result<Bytes> {
        let org = self.access.org_id();
        let projects: BTreeSet<ProjectId> = rows.iter().map(|r| r.project_id).collect();
        let codes: HashMap<ProjectId, String> = project::Entity::find()
            .select_only()
            .column(project::Column::Id)
            .column(project::Column::Code)
            .filter(project::Column::OrgId.eq(org))
            .filter(project::Column::Id.is_in(projects))
            .into_tuple::<(ProjectId, Option<String>)>()
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|(id, code)| code.map(|c| (id, c)))
            .collect();
        let tasks: BTreeSet<TaskId> = rows.iter().filter_map(|r| r.task_id).collect();
        let titles: HashMap<TaskId, String> = if tasks.is_empty() {
            HashMap::new()
        } else {
            task::Entity::find()
                .select_only()
                .column(task::Column::Id)
                .column(task::Column::Title)
                .filter(task::Column::OrgId.eq(org))
                .filter(task::Column::Id.is_in(tasks))
                .into_tuple::<(TaskId, String)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect()
        };
        let users: BTreeSet<UserId> = rows.iter().map(|r| r.user_id).collect();
        let users: Vec<UserId> = users.into_iter().collect();
        let emails: HashMap<UserId, String> = self
            .deps
            .memberships
            .profiles(&users)
            .await?
            .into_iter()
            .filter_map(|p| p.email.map(|e| (p.user_id, e.into_string())))
            .collect();
        let mut out = AsyncWriterBuilder::new()
            .terminator(Terminator::Any(b'\n'))
            .create_writer(Vec::with_capacity(rows.len() * 192));
        for r in rows {
            let Some(end) = r.end_at else { continue };
            let text =
                |value: Option<&String>| guard(value.map_or("", String::as_str)).into_owned();
            out.write_record([
                r.user_id.to_string(),
                emails.get(&r.user_id).cloned().unwrap_or_default(),
                r.project_id.to_string(),
                text(codes.get(&r.project_id)),
                r.task_id.map(|t| t.to_string()).unwrap_or_default(),
                text(r.task_id.and_then(|t| titles.get(&t))),
                text(r.description.as_ref()),
                instant(r.start_at),
                instant(end),
                r.billable.to_string(),
            ])
            .await
            .map_err(Error::CsvWrite)?;
        }
        let bytes = out
            .into_inner()
            .await
            .map_err(|e| Error::CsvWrite(e.into()))?;
        Ok(Bytes::from(bytes))
    }
}

impl CsvService {
    /// The organization's stopped time entries starting in `[from, to)`
    /// (both required), narrowed by the filter's other fields, as a stream
    /// of CSV chunks in start order: the header, then one chunk per page of
    /// [`EXPORT_PAGE_ROWS`] entries read after the previous one (keyset),
    /// so memory holds one page whatever the range. The columns are those
    /// the import reads ([`crate::columns::TIME_ENTRY_HEADER`]): an export
    /// imports as it is. Running entries are left out. Any member may
    /// export (members read the organization's time).
    ///
    /// Takes the connection by value (a pool handle), since the stream
    /// outlives the call: a gateway hands it to the response body.
    pub fn export_time_entries<C>(
        &self,
        db: C,
        access: &OrgAccess,
        filter: TimeEntryFilter,
    ) -> Result<CsvStream>
    where
        C: ConnectionTrait + Send + Sync + 'static,
    {
        let mut errors = Vec::new();
        if filter.from.is_none() {
            errors.push(FieldError::new("from", "is required"));
        }
        if filter.to.is_none() {
            errors.push(FieldError::new("to", "is required"));
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && to <= from
        {
            errors.push(FieldError::new("to", "must be after from"));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let export = Export {
            db,
            deps: self.deps.clone(),
            access: *access,
            filter,
            after: None,
            header_sent: false,
            done: false,
        };
        Ok(stream::try_unfold(export, Export::next).boxed())
    }
}
