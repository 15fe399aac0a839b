//! Reminders: each appointment is reminded exactly once.
//!
//! A run claims each due appointment with one atomic statement that sets
//! `reminder_sent_at` only where it is still empty; whoever's statement
//! changes the row sends the reminder. Two runs at once, on one instance or
//! many, therefore never remind the same appointment twice. A reminder that
//! fails to send is released, so the next run retries it.

use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};

use super::SchedulingDeps;
use crate::{
    entities::{appointment, client, offering, professional},
    error::Result,
    ids::AppointmentId,
    slots::Interval,
    status::AppointmentStatus,
};

/// A claimed reminder, with what the message needs.
#[derive(Debug, Clone)]
pub struct DueReminder {
    /// The appointment.
    pub appointment: appointment::Model,
    /// With whom.
    pub professional: professional::Model,
    /// What.
    pub service: offering::Model,
    /// For whom.
    pub client: client::Model,
}

/// Reminders.
#[derive(Debug, Clone)]
pub struct ReminderService {
    deps: Arc<SchedulingDeps>,
}

impl ReminderService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self { deps }
    }

    /// Claims every active appointment starting in `window` that has not
    /// been reminded, and returns the ones this call claimed.
    pub async fn claim_due(
        &self,
        db: &impl ConnectionTrait,
        window: Interval,
    ) -> Result<Vec<DueReminder>> {
        let candidates = appointment::Entity::find()
            .filter(appointment::Column::Status.is_in(AppointmentStatus::ACTIVE))
            .filter(appointment::Column::StartAt.gte(window.start))
            .filter(appointment::Column::StartAt.lt(window.end))
            .filter(appointment::Column::ReminderSentAt.is_null())
            .order_by_asc(appointment::Column::StartAt)
            .all(db)
            .await?;
        let now = self.deps.clock.now();
        let mut claimed = Vec::new();
        for a in candidates {
            let won = appointment::Entity::update_many()
                .col_expr(appointment::Column::ReminderSentAt, Expr::value(now))
                .filter(appointment::Column::Id.eq(a.id))
                .filter(appointment::Column::ReminderSentAt.is_null())
                .exec(db)
                .await?
                .rows_affected
                == 1;
            if !won {
                continue;
            }
            let professional = professional::Entity::find_by_id(a.professional_id)
                .one(db)
                .await?;
            let service = offering::Entity::find_by_id(a.service_id).one(db).await?;
            let client = client::Entity::find_by_id(a.client_id).one(db).await?;
            if let (Some(professional), Some(service), Some(client)) =
                (professional, service, client)
            {
                claimed.push(DueReminder {
                    appointment: a,
                    professional,
                    service,
                    client,
                });
            }
        }
        Ok(claimed)
    }

    /// Gives a claim back after a failed send, so the next run retries it.
    pub async fn release(&self, db: &impl ConnectionTrait, id: AppointmentId) -> Result<()> {
        appointment::Entity::update_many()
            .col_expr(
                appointment::Column::ReminderSentAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(appointment::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }
}
