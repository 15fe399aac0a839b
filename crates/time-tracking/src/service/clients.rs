//! The agency's clients.

use std::{collections::HashSet, sync::Arc};
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Utc};

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use trellis_kernel::{Page, PageRequest, ports::OrgAccess};
use uuid::Uuid;
use validator::Validate;

use super::{TimeTrackingDeps, after, bulk, optional_text, text};
use crate::{
    entities::{agency_client, project},
    error::{Error, Result},
    ids::AgencyClientId,
    model::{
        AgencyClientFilter, AgencyClientView, BulkClientAction, BulkClients, BulkReport,
        CreateAgencyClient, UpdateAgencyClient,
    },
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

/// The row a validated [`CreateAgencyClient`] becomes (create and import).
pub(crate) fn new_client(
    access: &OrgAccess,
    cmd: CreateAgencyClient,
    now: DateTime<Utc>,
) -> Result<agency_client::ActiveModel> {
    Ok(agency_client::ActiveModel {
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
    })
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
        let row = new_client(access, cmd, self.deps.clock.now())?
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

    /// Archives, unarchives or deletes many clients (admins) in one
    /// transaction: a result per distinct id, in the order given. Another
    /// organization's ids are `not_found`; a client with projects is not
    /// deleted (`conflict`, `agency_client.in_use`): archive it instead.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), action = ?cmd.action))]
    pub async fn bulk<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        cmd: BulkClients,
    ) -> Result<BulkReport> {
        bulk::require_admin(access)?;
        let ids = bulk::distinct(&cmd.ids)?;
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let (done, refused) = match cmd.action {
            BulkClientAction::Archive | BulkClientAction::Unarchive => {
                let updated = agency_client::Entity::update_many()
                    .col_expr(
                        agency_client::Column::Archived,
                        Expr::value(cmd.action == BulkClientAction::Archive),
                    )
                    .col_expr(agency_client::Column::UpdatedAt, Expr::value(now))
                    .filter(agency_client::Column::OrgId.eq(access.org_id()))
                    .filter(agency_client::Column::Id.is_in(ids.clone()))
                    .exec_with_returning(&txn)
                    .await?;
                (
                    updated
                        .into_iter()
                        .map(|c| c.id.0)
                        .collect::<HashSet<Uuid>>(),
                    HashSet::new(),
                )
            }
            BulkClientAction::Delete => {
                let unused = Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(project::Entity)
                        .and_where(
                            Expr::col((project::Entity, project::Column::ClientId))
                                .equals((agency_client::Entity, agency_client::Column::Id)),
                        )
                        .to_owned(),
                )
                .not();
                let deleted = agency_client::Entity::delete_many()
                    .filter(agency_client::Column::OrgId.eq(access.org_id()))
                    .filter(agency_client::Column::Id.is_in(ids.clone()))
                    .filter(unused)
                    .exec_with_returning(&txn)
                    .await
                    .map_err(Error::in_use(Error::ClientInUse))?;
                let left: Vec<AgencyClientId> = agency_client::Entity::find()
                    .select_only()
                    .column(agency_client::Column::Id)
                    .filter(agency_client::Column::OrgId.eq(access.org_id()))
                    .filter(agency_client::Column::Id.is_in(ids.clone()))
                    .into_tuple()
                    .all(&txn)
                    .await?;
                (
                    deleted.into_iter().map(|c| c.id.0).collect(),
                    left.into_iter().map(|id| id.0).collect(),
                )
            }
        };
        txn.commit().await?;
        Ok(bulk::report(
            ids.into_iter().map(|id| id.0),
            &done,
            &refused,
            &Error::ClientInUse,
        ))
    }
}
