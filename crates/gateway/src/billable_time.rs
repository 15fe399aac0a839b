//! Billing's [`BillableTime`] port over time tracking's
//! [`BillableTimeService`](trellis_time_tracking::service::BillableTimeService)
//! and its clients: the gateway is the one place that knows both domains.
//! Every call runs on billing's transaction.

use async_trait::async_trait;
use chrono::NaiveDate;
use sea_orm::{DatabaseTransaction, DbErr};
use trellis_kernel::ports::{
    BillableClient, BillableTime, BillableTimeError, OrgAccess, UnbilledTime,
};
use trellis_time_tracking::{
    Error as TimeError, TimeTracking,
    ids::{AgencyClientId, TimeEntryId},
};
use uuid::Uuid;

/// Time tracking, as billing sees it.
#[derive(Debug, Clone)]
pub struct TimeTrackingBillableTime {
    time: TimeTracking,
}

impl TimeTrackingBillableTime {
    /// Over these services.
    pub fn new(time: TimeTracking) -> Self {
        Self { time }
    }
}

/// Time tracking's refusals in the port's terms; anything unexpected is a
/// fault on our side.
fn port_error(error: TimeError) -> BillableTimeError {
    match error {
        TimeError::ClientNotFound => BillableTimeError::ClientNotFound,
        TimeError::NotBillable => BillableTimeError::NotBillable,
        TimeError::Validation(fields) => BillableTimeError::Validation(fields),
        TimeError::Access(e) => BillableTimeError::Access(e),
        TimeError::Database(e) => BillableTimeError::Database(e),
        other => BillableTimeError::Database(DbErr::Custom(format!("time tracking: {other}"))),
    }
}

#[async_trait]
impl BillableTime for TimeTrackingBillableTime {
    async fn client(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        client: Uuid,
    ) -> Result<BillableClient, BillableTimeError> {
        let view = self
            .time
            .clients
            .get(db, access, AgencyClientId(client))
            .await
            .map_err(port_error)?;
        Ok(BillableClient {
            id: view.id.0,
            name: view.name,
            email: view.email,
            address: view.address,
            currency: view.currency,
        })
    }

    async fn unbilled(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        client: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UnbilledTime>, BillableTimeError> {
        let entries = self
            .time
            .billing
            .unbilled(db, access, AgencyClientId(client), from, to)
            .await
            .map_err(port_error)?;
        Ok(entries
            .into_iter()
            .map(|e| UnbilledTime {
                entry_id: e.id.0,
                project_id: e.project_id.0,
                project_name: e.project_name,
                seconds: e.seconds,
                rate_minor: e.rate_minor,
                currency: e.currency,
            })
            .collect())
    }

    async fn mark_billed(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        entries: &[Uuid],
        invoice: Uuid,
    ) -> Result<u64, BillableTimeError> {
        let ids: Vec<TimeEntryId> = entries.iter().copied().map(TimeEntryId).collect();
        self.time
            .billing
            .mark_billed(db, access, &ids, invoice)
            .await
            .map_err(port_error)
    }

    async fn release(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        invoice: Uuid,
    ) -> Result<u64, BillableTimeError> {
        self.time
            .billing
            .release(db, access, invoice)
            .await
            .map_err(port_error)
    }
}
