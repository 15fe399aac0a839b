//! Projects.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use trellis_kernel::{FieldError, Page, PageRequest, ports::OrgAccess};
use validator::Validate;

use super::{TimeTrackingDeps, after, clients::check_rate, clients::client_row, text};
use crate::{
    entities::project,
    error::{Error, Result},
    ids::{AgencyClientId, ProjectId},
    model::{CreateProject, ProjectFilter, ProjectStatus, ProjectView, UpdateProject, is_color},
    view,
};

/// The row of one of the organization's projects.
pub(crate) async fn project_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    id: ProjectId,
) -> Result<project::Model> {
    project::Entity::find_by_id(id)
        .filter(project::Column::OrgId.eq(access.org_id()))
        .one(db)
        .await?
        .ok_or(Error::ProjectNotFound)
}

/// A code as stored: trimmed; blank is none.
pub(crate) fn code(value: Option<String>) -> Option<String> {
    value
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// The row a validated [`CreateProject`] becomes, for a client of the
/// organization already checked (create and import).
pub(crate) fn new_project(
    access: &OrgAccess,
    client: AgencyClientId,
    cmd: CreateProject,
    now: DateTime<Utc>,
) -> Result<project::ActiveModel> {
    Ok(project::ActiveModel {
        id: Set(ProjectId::new()),
        org_id: Set(access.org_id()),
        client_id: Set(client),
        name: Set(text("name", &cmd.name, 200)?),
        code: Set(code(cmd.code)),
        status: Set(ProjectStatus::Active),
        billable: Set(cmd.billable.unwrap_or(true)),
        hourly_rate_minor: Set(cmd.hourly_rate_minor),
        budget_hours: Set(cmd.budget_hours),
        color: Set(cmd.color.map(|c| c.to_ascii_lowercase())),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// Projects.
#[derive(Debug, Clone)]
pub struct ProjectService {
    deps: Arc<TimeTrackingDeps>,
}

impl ProjectService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// Starts a project for one of the organization's clients.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        cmd: CreateProject,
    ) -> Result<ProjectView> {
        cmd.validate()?;
        let client = client_row(db, access, cmd.client_id).await?;
        let row = new_project(access, client.id, cmd, self.deps.clock.now())?
            .insert(db)
            .await
            .map_err(Error::unique(Error::ProjectCodeTaken))?;
        Ok(view::project(row))
    }

    /// One project.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: ProjectId,
    ) -> Result<ProjectView> {
        Ok(view::project(project_row(db, access, id).await?))
    }

    /// Projects, oldest first.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        filter: ProjectFilter,
        page: &PageRequest,
    ) -> Result<Page<ProjectView>> {
        let mut select = project::Entity::find().filter(project::Column::OrgId.eq(access.org_id()));
        if let Some(client) = filter.client_id {
            select = select.filter(project::Column::ClientId.eq(client));
        }
        if let Some(status) = filter.status {
            select = select.filter(project::Column::Status.eq(status));
        }
        if let Some(last) = after::<ProjectId>(page)? {
            select = select.filter(project::Column::Id.gt(last));
        }
        let rows = select
            .order_by_asc(project::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |p| p.id, view::project))
    }

    /// Changes a project. Entries already logged keep their rate snapshot.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), project = %id))]
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: ProjectId,
        cmd: UpdateProject,
    ) -> Result<ProjectView> {
        let name = cmd
            .name
            .as_deref()
            .map(|n| text("name", n, 200))
            .transpose()?;
        let mut errors = Vec::new();
        if let Some(c) = cmd.code.value()
            && c.trim().chars().count() > 32
        {
            errors.push(FieldError::new("code", "must be at most 32 characters"));
        }
        if let Some(c) = cmd.color.value()
            && !is_color(c)
        {
            errors.push(FieldError::new("color", "must be a colour like #1a2b3c"));
        }
        if let Some(hours) = cmd.budget_hours.value()
            && !(0..=1_000_000).contains(hours)
        {
            errors.push(FieldError::new(
                "budget_hours",
                "must be between 0 and 1000000",
            ));
        }
        if let Err(Error::Validation(mut rate)) =
            check_rate("hourly_rate_minor", cmd.hourly_rate_minor.value())
        {
            errors.append(&mut rate);
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let mut row = project_row(db, access, id).await?;
        if let Some(client) = cmd.client_id {
            row.client_id = client_row(db, access, client).await?.id;
        }
        if let Some(name) = name {
            row.name = name;
        }
        cmd.code.update_to(&mut row.code);
        row.code = code(row.code);
        if let Some(status) = cmd.status {
            row.status = status;
        }
        if let Some(billable) = cmd.billable {
            row.billable = billable;
        }
        cmd.hourly_rate_minor.update_to(&mut row.hourly_rate_minor);
        cmd.budget_hours.update_to(&mut row.budget_hours);
        cmd.color
            .map_value(|c| c.to_ascii_lowercase())
            .update_to(&mut row.color);
        row.updated_at = self.deps.clock.now();
        let mut active = row.into_active_model();
        for column in [
            project::Column::ClientId,
            project::Column::Name,
            project::Column::Code,
            project::Column::Status,
            project::Column::Billable,
            project::Column::HourlyRateMinor,
            project::Column::BudgetHours,
            project::Column::Color,
            project::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        let row = active
            .update(db)
            .await
            .map_err(Error::unique(Error::ProjectCodeTaken))?;
        Ok(view::project(row))
    }

    /// Deletes a project without tasks or time. One that has either is
    /// refused (409 `project.in_use`) by the database's references, so no
    /// entry can be logged between a check and the delete: archive it instead.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), project = %id))]
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: ProjectId,
    ) -> Result<()> {
        let deleted = project::Entity::delete_many()
            .filter(project::Column::Id.eq(id))
            .filter(project::Column::OrgId.eq(access.org_id()))
            .exec(db)
            .await
            .map_err(Error::in_use(Error::ProjectInUse))?;
        if deleted.rows_affected == 0 {
            return Err(Error::ProjectNotFound);
        }
        Ok(())
    }
}
