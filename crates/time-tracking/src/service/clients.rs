//! The agency's clients.

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use trellis_kernel::{Page, PageRequest, ports::OrgAccess};
use validator::Validate;

use super::{TimeTrackingDeps, after, optional_text, text};
use crate::{
    entities::agency_client,
    error::{Error, Result},
    ids::AgencyClientId,
    model::{AgencyClientFilter, AgencyClientView, CreateAgencyClient, UpdateAgencyClient},
    money::MAX_RATE_MINOR,
    view,
};

/// Checks a rate given in a PATCH.
pub(crate) fn check_rate(field: &str, rate: Option<&i64>) -> Result<()> {
    match rate {
        Some(r) if !(0..=MAX_RATE_MINOR).contains(r) => Err(Error::field(
            field,
            format!("must be between 0 and {MAX_RATE_MINOR}"),
        )),
        _ => Ok(()),
    }
}

/// The row of one of the organization's clients.
pub(crate) async fn client_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    id: AgencyClientId,
) -> Result<agency_client::Model> {
    agency_client::Entity::find_by_id(id)
        .filter(agency_client::Column::OrgId.eq(access.org_id()))
        .one(db)
        .await?
        .ok_or(Error::ClientNotFound)
}

/// The agency's clients.
#[derive(Debug, Clone)]
pub struct AgencyClientService {
    deps: Arc<TimeTrackingDeps>,
}

impl AgencyClientService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// Adds a client.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        cmd: CreateAgencyClient,
    ) -> Result<AgencyClientView> {
        cmd.validate()?;
        let now = self.deps.clock.now();
        let row = agency_client::ActiveModel {
            id: Set(AgencyClientId::new()),
            org_id: Set(access.org_id()),
            name: Set(text("name", &cmd.name, 200)?),
            email: Set(cmd.email.map(String::from)),
            phone: Set(cmd.phone.map(String::from)),
            address: Set(optional_text(cmd.address)),
            currency: Set(cmd.currency.into_string()),
            hourly_rate_minor: Set(cmd.hourly_rate_minor),
            archived: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        Ok(view::client(row))
    }

    /// One client.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: AgencyClientId,
    ) -> Result<AgencyClientView> {
        Ok(view::client(client_row(db, access, id).await?))
    }

    /// Clients, oldest first.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        filter: AgencyClientFilter,
        page: &PageRequest,
    ) -> Result<Page<AgencyClientView>> {
        let mut select =
            agency_client::Entity::find().filter(agency_client::Column::OrgId.eq(access.org_id()));
        if let Some(archived) = filter.archived {
            select = select.filter(agency_client::Column::Archived.eq(archived));
        }
        if let Some(last) = after::<AgencyClientId>(page)? {
            select = select.filter(agency_client::Column::Id.gt(last));
        }
        let rows = select
            .order_by_asc(agency_client::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |c| c.id, view::client))
    }

    /// Changes a client.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), client = %id))]
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: AgencyClientId,
        cmd: UpdateAgencyClient,
    ) -> Result<AgencyClientView> {
        let name = cmd
            .name
            .as_deref()
            .map(|n| text("name", n, 200))
            .transpose()?;
        check_rate("hourly_rate_minor", cmd.hourly_rate_minor.value())?;
        if let Some(address) = cmd.address.value()
            && address.chars().count() > 1000
        {
            return Err(Error::field("address", "must be at most 1000 characters"));
        }
        let mut row = client_row(db, access, id).await?;
        if let Some(name) = name {
            row.name = name;
        }
        cmd.email.map_value(String::from).update_to(&mut row.email);
        cmd.phone.map_value(String::from).update_to(&mut row.phone);
        cmd.address.update_to(&mut row.address);
        row.address = optional_text(row.address);
        if let Some(currency) = cmd.currency {
            row.currency = currency.into_string();
        }
        cmd.hourly_rate_minor.update_to(&mut row.hourly_rate_minor);
        if let Some(archived) = cmd.archived {
            row.archived = archived;
        }
        row.updated_at = self.deps.clock.now();
        let mut active = row.into_active_model();
        for column in [
            agency_client::Column::Name,
            agency_client::Column::Email,
            agency_client::Column::Phone,
            agency_client::Column::Address,
            agency_client::Column::Currency,
            agency_client::Column::HourlyRateMinor,
            agency_client::Column::Archived,
            agency_client::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        Ok(view::client(active.update(db).await?))
    }

    /// Deletes a client without projects; one with projects is refused
    /// (409 `agency_client.in_use`): archive it instead, so its history stays.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), client = %id))]
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: AgencyClientId,
    ) -> Result<()> {
        let deleted = agency_client::Entity::delete_many()
            .filter(agency_client::Column::Id.eq(id))
            .filter(agency_client::Column::OrgId.eq(access.org_id()))
            .exec(db)
            .await
            .map_err(Error::in_use(Error::ClientInUse))?;
        if deleted.rows_affected == 0 {
            return Err(Error::ClientNotFound);
        }
        Ok(())
    }
}
