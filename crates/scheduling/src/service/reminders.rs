//! Reminders: each appointment is reminded exactly once.
//!
//! A run claims each due appointment with one atomic statement that sets
//! `reminder_sent_at` only where it is still empty, and records the reminder
//! as an outbox event in the same transaction; whoever's statement changes
//! the row records it. Two runs at once, on one instance or many, therefore
//! never remind the same appointment twice, and a reminder whose delivery
//! fails is retried by the outbox, not by the next run.
//!
//! Whether a reminder may go by WhatsApp is the organization's plan's
//! (`Limit::WhatsappReminders`), asked once per organization per run and
//! before any transaction opens (see `ClientService::allowance`).

use std::{collections::HashMap, sync::Arc};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait, sea_query::Expr,
};
use trellis_kernel::{db::WriteTransaction, id::OrgId, ports::Limit};

use super::SchedulingDeps;
use crate::{
    entities::{appointment, professional},
    error::Result,
    ids::{AppointmentId, ProfessionalId},
    notices,
    slots::Interval,
    status::AppointmentStatus,
};

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
    /// been reminded and records its reminder (an outbox event) in the same
    /// transaction as the claim. Returns how many this call claimed.
    pub async fn remind_due<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        window: Interval,
    ) -> Result<u32> {
        let candidates = appointment::Entity::find()
            .filter(appointment::Column::Status.is_in(AppointmentStatus::ACTIVE))
            .filter(appointment::Column::StartAt.gte(window.start))
            .filter(appointment::Column::StartAt.lt(window.end))
            .filter(appointment::Column::ReminderSentAt.is_null())
            .order_by_asc(appointment::Column::StartAt)
            .all(db)
            .await?;
        let whatsapp = self.whatsapp_by_professional(db, &candidates).await?;
        let now = self.deps.clock.now();
        let mut claimed = 0;
        for a in candidates {
            let whatsapp = whatsapp.get(&a.professional_id).copied().unwrap_or(false);
            match self.remind_one(db, a.id, window, now, whatsapp).await {
                Ok(true) => claimed += 1,
                Ok(false) => {}
                // One appointment's failure (its service gone...) must not
                // cost the others their reminder; its claim rolled back.
                Err(err) => {
                    tracing::warn!(appointment = %a.id, error = %err, "reminder not queued")
                }
            }
        }
        Ok(claimed)
    }

    /// Whether each candidate's professional's organization may remind by
    /// WhatsApp: one plan lookup per organization.
    async fn whatsapp_by_professional(
        &self,
        db: &impl ConnectionTrait,
        candidates: &[appointment::Model],
    ) -> Result<HashMap<ProfessionalId, bool>> {
        let mut pros: Vec<ProfessionalId> = candidates.iter().map(|a| a.professional_id).collect();
        pros.sort_unstable();
        pros.dedup();
        if pros.is_empty() {
            return Ok(HashMap::new());
        }
        let orgs: Vec<(ProfessionalId, OrgId)> = professional::Entity::find()
            .select_only()
            .column(professional::Column::Id)
            .column(professional::Column::OrgId)
            .filter(professional::Column::Id.is_in(pros))
            .into_tuple()
            .all(db)
            .await?;
        let mut switch_of_org: HashMap<OrgId, bool> = HashMap::new();
        let mut by_professional = HashMap::with_capacity(orgs.len());
        for (pro, org) in orgs {
            let on = match switch_of_org.get(&org) {
                Some(&on) => on,
                None => {
                    let allowance = self
                        .deps
                        .entitlements
                        .limit(org, Limit::WhatsappReminders)
                        .await?;
                    *switch_of_org.entry(org).or_insert(allowance.is_on())
                }
            };
            by_professional.insert(pro, on);
        }
        Ok(by_professional)
    }

    /// Claims one appointment's reminder and records it, in one transaction.
    /// The claim re-checks what the candidate query saw (still active, still
    /// starting in the window, not reminded), and the notice is worded from
    /// the row as it is now, so a cancellation or a move in between never
    /// gets a reminder for the old time.
    async fn remind_one<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        id: AppointmentId,
        window: Interval,
        now: chrono::DateTime<chrono::Utc>,
        whatsapp: bool,
    ) -> Result<bool> {
        let txn = db.begin_write().await?;
        let won = appointment::Entity::update_many()
            .col_expr(appointment::Column::ReminderSentAt, Expr::value(now))
            .filter(appointment::Column::Id.eq(id))
            .filter(appointment::Column::ReminderSentAt.is_null())
            .filter(appointment::Column::Status.is_in(AppointmentStatus::ACTIVE))
            .filter(appointment::Column::StartAt.gte(window.start))
            .filter(appointment::Column::StartAt.lt(window.end))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if won {
            let fresh = appointment::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(crate::error::Error::AppointmentNotFound)?;
            notices::record_reminder(&txn, &self.deps.clock, &fresh, whatsapp).await?;
        }
        txn.commit().await?;
        Ok(won)
    }
}
