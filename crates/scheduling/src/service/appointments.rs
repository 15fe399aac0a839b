//! Appointments: lists, details, status changes, the client's own view.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use trellis_kernel::{Page, PageRequest, Principal};
use validator::Validate;

use super::SchedulingDeps;
use crate::model::Professional;
use crate::notices::{self, Known, Notice};
use crate::{
    entities::{appointment, client, offering, professional},
    error::{Error, Result},
    ids::{AppointmentId, ClientId},
    model::{AppointmentView, CancelCommand, StatusCommand},
    status::AppointmentStatus,
    view,
};

/// Rows after `(start, id)` in list order: the keyset cursor condition.
fn after_key((start, id): (DateTime<Utc>, AppointmentId)) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(appointment::Column::StartAt.gt(start))
        .add(
            sea_orm::Condition::all()
                .add(appointment::Column::StartAt.eq(start))
                .add(appointment::Column::Id.gt(id)),
        )
}

/// Which appointments to list.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// In this status.
    pub status: Option<AppointmentStatus>,
    /// Of this client.
    pub client: Option<ClientId>,
}

/// Appointments.
#[derive(Debug, Clone)]
pub struct AppointmentService {
    deps: Arc<SchedulingDeps>,
}

impl AppointmentService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self { deps }
    }

    /// The professional's appointments by start time (cursor: start, id).
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        filter: AppointmentFilter,
        page: &PageRequest,
    ) -> Result<Page<AppointmentView>> {
        let after: Option<(DateTime<Utc>, AppointmentId)> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut query =
            appointment::Entity::find().filter(appointment::Column::ProfessionalId.eq(pro.id));
        if let Some(from) = filter.from {
            query = query.filter(appointment::Column::StartAt.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(appointment::Column::StartAt.lt(to));
        }
        if let Some(status) = filter.status {
            query = query.filter(appointment::Column::Status.eq(status));
        }
        if let Some(client) = filter.client {
            query = query.filter(appointment::Column::ClientId.eq(client));
        }
        if let Some(after) = after {
            query = query.filter(after_key(after));
        }
        let rows = query
            .order_by_asc(appointment::Column::StartAt)
            .order_by_asc(appointment::Column::Id)
            .limit(page.fetch_limit())
            .into_model::<appointment::ByPosition>()
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.0)
            .collect();
        Ok(Page::from_rows(
            rows,
            page,
            |a| (a.start_at, a.id),
            view::appointment,
        ))
    }

    /// One appointment, for its professional or its client's linked account.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        id: AppointmentId,
    ) -> Result<AppointmentView> {
        let row = appointment::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::AppointmentNotFound)?;
        let is_professional = professional::Entity::find_by_id(row.professional_id)
            .one(db)
            .await?
            .is_some_and(|p| p.user_id == caller.user_id);
        let is_client = || async {
            Ok::<_, Error>(
                client::Entity::find_by_id(row.client_id)
                    .one(db)
                    .await?
                    .is_some_and(|c| c.user_id == Some(caller.user_id)),
            )
        };
        if is_professional || is_client().await? {
            Ok(view::appointment(row))
        } else {
            Err(Error::AppointmentNotFound)
        }
    }

    /// Moves an appointment through the state machine (see `status`).
    /// A cancellation tells the client (an outbox event in the same transaction).
    pub async fn change_status<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        id: AppointmentId,
        cmd: StatusCommand,
    ) -> Result<AppointmentView> {
        cmd.validate()?;
        let txn = db.begin_write().await?;
        let row = appointment::Entity::find_by_id(id)
            .filter(appointment::Column::ProfessionalId.eq(pro.id))
            .one(&txn)
            .await?
            .ok_or(Error::AppointmentNotFound)?;
        let known = Known {
            pro: Some(pro),
            ..Known::default()
        };
        let changed = self
            .transition(&txn, row, cmd.status, cmd.reason, known)
            .await?;
        txn.commit().await?;
        Ok(changed)
    }

    /// Applies a transition; a cancellation records the client's notice,
    /// worded from the parties in `known` (the others are read).
    async fn transition(
        &self,
        db: &impl ConnectionTrait,
        row: appointment::Model,
        to: AppointmentStatus,
        reason: Option<String>,
        known: Known<'_>,
    ) -> Result<AppointmentView> {
        let from = row.status;
        if !from.can_become(to) {
            return Err(Error::transition(from, to));
        }
        // Only the status we saw may be replaced: a concurrent change wins cleanly.
        let changed = appointment::Entity::update_many()
            .col_expr(
                appointment::Column::Status,
                sea_orm::sea_query::Expr::value(to.as_str()),
            )
            .col_expr(
                appointment::Column::CancelReason,
                sea_orm::sea_query::Expr::value(if to == AppointmentStatus::Cancelled {
                    reason
                } else {
                    None
                }),
            )
            .col_expr(
                appointment::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(self.deps.clock.now()),
            )
            .filter(appointment::Column::Id.eq(row.id))
            .filter(appointment::Column::Status.eq(from))
            .exec(db)
            .await?
            .rows_affected;
        let fresh = appointment::Entity::find_by_id(row.id)
            .one(db)
            .await?
            .ok_or(Error::AppointmentNotFound)?;
        if changed != 1 {
            return Err(Error::transition(fresh.status, to));
        }
        if to == AppointmentStatus::Cancelled {
            let clock = &self.deps.clock;
            notices::record_loading(db, clock, Notice::Cancelled, &fresh, known).await?;
        }
        Ok(view::appointment(fresh))
    }

    /// Appointments of clients linked to the caller's account, by start.
    pub async fn mine(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        page: &PageRequest,
    ) -> Result<Page<AppointmentView>> {
        let after: Option<(DateTime<Utc>, AppointmentId)> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let clients: Vec<ClientId> = client::Entity::find()
            .filter(client::Column::UserId.eq(caller.user_id))
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        if clients.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let mut query =
            appointment::Entity::find().filter(appointment::Column::ClientId.is_in(clients));
        if let Some(after) = after {
            query = query.filter(after_key(after));
        }
        let rows = query
            .order_by_asc(appointment::Column::StartAt)
            .order_by_asc(appointment::Column::Id)
            .limit(page.fetch_limit())
            .into_model::<appointment::ByPosition>()
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.0)
            .collect();
        Ok(Page::from_rows(
            rows,
            page,
            |a| (a.start_at, a.id),
            view::appointment,
        ))
    }

    /// The client cancels their own appointment, up to the service's notice.
    pub async fn cancel_own<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        caller: &Principal,
        id: AppointmentId,
        cmd: CancelCommand,
    ) -> Result<AppointmentView> {
        cmd.validate()?;
        let txn = db.begin_write().await?;
        let db = &txn;
        let row = appointment::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::AppointmentNotFound)?;
        let client = client::Entity::find_by_id(row.client_id)
            .one(db)
            .await?
            .filter(|c| c.user_id == Some(caller.user_id))
            .ok_or(Error::AppointmentNotFound)?;
        let service = offering::Entity::find_by_id(row.service_id).one(db).await?;
        let notice = service
            .as_ref()
            .map(|s| Duration::minutes(i64::from(s.cancellation_notice_minutes)))
            .unwrap_or_default();
        if row.status.is_active() && row.start_at - notice < self.deps.clock.now() {
            return Err(Error::CancellationWindowPassed);
        }
        let known = Known {
            service: service.as_ref(),
            client: Some(&client),
            ..Known::default()
        };
        let cancelled = self
            .transition(db, row, AppointmentStatus::Cancelled, cmd.reason, known)
            .await?;
        txn.commit().await?;
        Ok(cancelled)
    }
}
