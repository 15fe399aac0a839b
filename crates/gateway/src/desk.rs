//! The assistant's [`ProfessionalDesk`] over scheduling: the gateway is the
//! one place that knows both domains.
//!
//! Every call first finds the caller's own professional profile (the same
//! cached lookup as `ProfessionalCaller`), then uses scheduling's services
//! exactly as the REST routes do, so the assistant can see and change
//! nothing a professional could not through the API, and only their own.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{Days, NaiveDate, NaiveTime};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use trellis_kernel::{
    DomainError, PageRequest, SharedClock,
    contact::Phone,
    id::UserId,
    ports::{DeskError, ProfessionalDesk},
};
use trellis_scheduling::{
    Error as SchedulingError, Scheduling,
    ids::AppointmentId,
    model::{Professional, RevenueGroup, StatusCommand},
    service::{AppointmentFilter, revenue::revenue},
    slots::resolve,
    status::AppointmentStatus,
};
use uuid::Uuid;

/// The most appointments one day's answer lists.
const DAY_LIMIT: u64 = 100;

/// Scheduling, as the assistant's tools see it.
#[derive(Clone)]
pub struct SchedulingDesk {
    db: DatabaseConnection,
    scheduling: Scheduling,
    clock: SharedClock,
}

impl std::fmt::Debug for SchedulingDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulingDesk").finish_non_exhaustive()
    }
}

impl SchedulingDesk {
    /// Over these services.
    pub fn new(db: DatabaseConnection, scheduling: Scheduling, clock: SharedClock) -> Self {
        Self {
            db,
            scheduling,
            clock,
        }
    }

    /// The caller's own professional profile.
    async fn professional(&self, caller: UserId) -> Result<Professional, DeskError> {
        self.scheduling
            .professionals
            .of_user(&self.db, caller)
            .await
            .map_err(refused)
    }
}

/// Scheduling's refusals in the port's terms: a client's mistake is told
/// to the model; a fault on our side is logged and only called unavailable.
fn refused(error: SchedulingError) -> DeskError {
    if error.kind().is_server_fault() || error.code() == "internal" {
        tracing::error!(error = %error, "an assistant tool failed");
        return DeskError::Unavailable;
    }
    let fields: Vec<String> = error
        .field_errors()
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    DeskError::Refused {
        code: error.code().to_owned(),
        message: if fields.is_empty() {
            error.to_string()
        } else {
            fields.join("; ")
        },
    }
}

fn page(limit: u64) -> Result<PageRequest, DeskError> {
    PageRequest::parse(Some(limit), None).map_err(|_| DeskError::Unavailable)
}

#[async_trait]
impl ProfessionalDesk for SchedulingDesk {
    async fn appointments_today(&self, caller: UserId) -> Result<Value, DeskError> {
        let pro = self.professional(caller).await?;
        let zone = pro.time_zone;
        let today = self.clock.now().with_timezone(&zone).date_naive();
        let filter = AppointmentFilter {
            from: Some(resolve(zone, today, NaiveTime::MIN)),
            to: Some(resolve(zone, today + Days::new(1), NaiveTime::MIN)),
            ..AppointmentFilter::default()
        };
        let listed = self
            .scheduling
            .appointments
            .list(&self.db, &pro, filter, &page(DAY_LIMIT)?)
            .await
            .map_err(refused)?;
        let services: HashMap<_, _> = self
            .scheduling
            .catalog
            .list(&self.db, &pro)
            .await
            .map_err(refused)?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let mut clients = HashMap::new();
        let mut appointments = Vec::with_capacity(listed.items.len());
        for a in listed.items {
            if let std::collections::hash_map::Entry::Vacant(slot) = clients.entry(a.client_id) {
                let client = self
                    .scheduling
                    .clients
                    .get(&self.db, &pro, a.client_id)
                    .await
                    .ok();
                slot.insert(client);
            }
            let client = clients.get(&a.client_id).and_then(Option::as_ref);
            appointments.push(json!({
                "id": a.id,
                "start_at": a.start_at,
                "end_at": a.end_at,
                "status": a.status,
                "service": services.get(&a.service_id),
                "client": client.map(|c| c.name.clone()),
                "client_phone": client.and_then(|c| c.phone.clone()),
                "price_minor": a.price_minor,
                "currency": a.currency,
            }));
        }
        Ok(json!({
            "date": today,
            "time_zone": zone.name(),
            "appointments": appointments,
        }))
    }

    async fn client_by_phone(&self, caller: UserId, phone: &Phone) -> Result<Value, DeskError> {
        let pro = self.professional(caller).await?;
        let found = self
            .scheduling
            .clients
            .search(&self.db, &pro, Some(phone.as_str()), &page(20)?)
            .await
            .map_err(refused)?
            .items
            .into_iter()
            .find(|c| c.phone.as_deref() == Some(phone.as_str()));
        Ok(match found {
            Some(client) => json!({"found": true, "client": client}),
            None => json!({"found": false}),
        })
    }

    async fn revenue(
        &self,
        caller: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Value, DeskError> {
        let pro = self.professional(caller).await?;
        let report = revenue(&self.db, &pro, from, to, RevenueGroup::Month)
            .await
            .map_err(refused)?;
        serde_json::to_value(report).map_err(|_| DeskError::Unavailable)
    }

    async fn set_appointment_status(
        &self,
        caller: UserId,
        appointment: Uuid,
        status: &str,
        reason: Option<&str>,
    ) -> Result<Value, DeskError> {
        let pro = self.professional(caller).await?;
        let status: AppointmentStatus =
            serde_json::from_value(Value::from(status)).map_err(|_| DeskError::Refused {
                code: "request.validation_failed".into(),
                message: format!("status: no status {status}"),
            })?;
        let changed = self
            .scheduling
            .appointments
            .change_status(
                &self.db,
                &pro,
                AppointmentId(appointment),
                StatusCommand {
                    status,
                    reason: reason.map(str::to_owned),
                },
            )
            .await
            .map_err(refused)?;
        serde_json::to_value(changed).map_err(|_| DeskError::Unavailable)
    }
}
