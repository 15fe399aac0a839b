//! Unbilled time for invoices.
//!
//! Billing (through the gateway, which wires the two domains) builds an
//! invoice from a client's unbilled billable time in one write transaction:
//! read [`BillableTimeService::unbilled`], create the draft with its lines,
//! [`BillableTimeService::mark_billed`]. Voiding the invoice calls
//! [`BillableTimeService::release`]. Every method takes the caller's connection,
//! so all of it commits together or not at all.

use std::{collections::HashMap, sync::Arc};

use chrono::{Duration, NaiveDate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, Query},
};
use trellis_kernel::ports::{OrgAccess, OrgRole};
use uuid::Uuid;

use super::{TimeTrackingDeps, clients::client_row, settings};
use crate::{
    calendar,
    entities::{project, task, time_entry},
    error::{Error, Result},
    ids::{AgencyClientId, TimeEntryId},
    model::BillableEntry,
    money,
};

/// The most entries one [`BillableTimeService::mark_billed`] call takes.
pub const MAX_MARK: usize = 5_000;

/// Unbilled time, and marking it billed.
#[derive(Debug, Clone)]
pub struct BillableTimeService {
    deps: Arc<TimeTrackingDeps>,
}

impl BillableTimeService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// A client's billable, stopped, not yet invoiced entries starting
    /// between two local dates (inclusive, in the organization's zone), in
    /// start order, each with its amount.
    pub async fn unbilled(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        client: AgencyClientId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<BillableEntry>> {
        if to < from {
            return Err(Error::field("to", "must not be before from"));
        }
        let client = client_row(db, access, client).await?;
        let zone = settings::read(db, access.org_id()).await?.zone;
        let lo = calendar::local_midnight(zone, from);
        let hi = calendar::local_midnight(zone, to + Duration::days(1));
        let rows = time_entry::Entity::find()
            .filter(time_entry::Column::OrgId.eq(access.org_id()))
            .filter(
                time_entry::Column::ProjectId.in_subquery(
                    Query::select()
                        .column(project::Column::Id)
                        .from(project::Entity)
                        .and_where(project::Column::OrgId.eq(access.org_id()))
                        .and_where(project::Column::ClientId.eq(client.id))
                        .to_owned(),
                ),
            )
            .filter(time_entry::Column::Billable.eq(true))
            .filter(time_entry::Column::BilledInvoiceId.is_null())
            .filter(time_entry::Column::EndAt.is_not_null())
            .filter(time_entry::Column::StartAt.gte(lo))
            .filter(time_entry::Column::StartAt.lt(hi))
            .order_by_asc(time_entry::Column::StartAt)
            .order_by_asc(time_entry::Column::Id)
            .all(db)
            .await?;
        let projects: HashMap<_, _> = project::Entity::find()
            .filter(project::Column::OrgId.eq(access.org_id()))
            .filter(project::Column::ClientId.eq(client.id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let mut task_ids: Vec<_> = rows.iter().filter_map(|e| e.task_id).collect();
        task_ids.sort();
        task_ids.dedup();
        let mut tasks = HashMap::new();
        for chunk in task_ids.chunks(500) {
            let found = task::Entity::find()
                .filter(task::Column::OrgId.eq(access.org_id()))
                .filter(task::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?;
            tasks.extend(found.into_iter().map(|t| (t.id, t.title)));
        }
        Ok(rows
            .into_iter()
            .filter_map(|e| {
                let (end_at, seconds) = (e.end_at?, e.duration_seconds?);
                Some(BillableEntry {
                    id: e.id,
                    user_id: e.user_id,
                    project_id: e.project_id,
                    project_name: projects.get(&e.project_id).cloned().unwrap_or_default(),
                    task_id: e.task_id,
                    task_title: e.task_id.and_then(|t| tasks.get(&t).cloned()),
                    description: e.description,
                    start_at: e.start_at,
                    end_at,
                    seconds,
                    rate_minor: e.rate_minor,
                    currency: e.currency,
                    amount_minor: e
                        .rate_minor
                        .map_or(0, |rate| money::amount_minor(rate, seconds)),
                })
            })
            .collect())
    }

    /// Puts entries on an invoice (admins): all of them or none. Each must
    /// be the organization's, billable, stopped and not billed yet;
    /// otherwise nothing changes and the answer is 409
    /// `time_entry.not_billable`. One statement does it, guarded by a count
    /// of the eligible entries, so it is all-or-nothing even outside a
    /// transaction. Returns how many entries were marked.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %invoice))]
    pub async fn mark_billed(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        entries: &[TimeEntryId],
        invoice: Uuid,
    ) -> Result<u64> {
        if !access.at_least(OrgRole::Admin) {
            return Err(Error::admin_required());
        }
        let mut ids = entries.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(0);
        }
        if ids.len() > MAX_MARK {
            return Err(Error::field(
                "entry_ids",
                format!("at most {MAX_MARK} entries at a time"),
            ));
        }
        let eligible = || {
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(time_entry::Entity)
                .and_where(time_entry::Column::OrgId.eq(access.org_id()))
                .and_where(time_entry::Column::Id.is_in(ids.iter().copied()))
                .and_where(time_entry::Column::Billable.eq(true))
                .and_where(time_entry::Column::EndAt.is_not_null())
                .and_where(time_entry::Column::BilledInvoiceId.is_null())
                .to_owned()
        };
        let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        let marked = time_entry::Entity::update_many()
            .col_expr(time_entry::Column::BilledInvoiceId, Expr::value(invoice))
            .col_expr(
                time_entry::Column::UpdatedAt,
                Expr::value(self.deps.clock.now()),
            )
            .filter(time_entry::Column::OrgId.eq(access.org_id()))
            .filter(time_entry::Column::Id.is_in(ids.iter().copied()))
            .filter(time_entry::Column::Billable.eq(true))
            .filter(time_entry::Column::EndAt.is_not_null())
            .filter(time_entry::Column::BilledInvoiceId.is_null())
            .filter(Expr::from(eligible()).eq(count))
            .exec(db)
            .await?
            .rows_affected;
        if marked != ids.len() as u64 {
            return Err(Error::NotBillable);
        }
        Ok(marked)
    }

    /// Takes an invoice's entries off it (admins), when it is voided or
    /// deleted: they are unbilled again. Returns how many.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %invoice))]
    pub async fn release(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        invoice: Uuid,
    ) -> Result<u64> {
        if !access.at_least(OrgRole::Admin) {
            return Err(Error::admin_required());
        }
        Ok(time_entry::Entity::update_many()
            .col_expr(
                time_entry::Column::BilledInvoiceId,
                Expr::value(None::<Uuid>),
            )
            .col_expr(
                time_entry::Column::UpdatedAt,
                Expr::value(self.deps.clock.now()),
            )
            .filter(time_entry::Column::OrgId.eq(access.org_id()))
            .filter(time_entry::Column::BilledInvoiceId.eq(invoice))
            .exec(db)
            .await?
            .rows_affected)
    }
}
