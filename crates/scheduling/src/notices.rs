//! What scheduling tells clients, recorded as outbox events.
//!
//! Every booking, cancellation, move and reminder records one event in the
//! same transaction as the change, carrying the worded [`Notification`].
//! Scheduling owns the words (until messaging turns them into templates);
//! whoever subscribes to [`KINDS`] delivers them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use trellis_kernel::{
    clock::SharedClock,
    contact::{Email, Phone},
    outbox::{self, NewEvent},
    ports::{Notification, Recipient},
};

use crate::{
    entities::{appointment, client, offering, professional},
    error::{Error, Result},
    ids::AppointmentId,
    model::Professional,
    status::AppointmentStatus,
};

/// An appointment was booked (by the client or the professional).
pub const BOOKED: &str = "appointment.booked";
/// An appointment was cancelled.
pub const CANCELLED: &str = "appointment.cancelled";
/// An appointment moved to another time (the event names the new one).
pub const RESCHEDULED: &str = "appointment.rescheduled";
/// An appointment is tomorrow.
pub const REMINDER: &str = "appointment.reminder";

/// Every event kind scheduling records.
pub const KINDS: &[&str] = &[BOOKED, CANCELLED, RESCHEDULED, REMINDER];

/// The payload of every appointment event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentNotice {
    /// The appointment.
    pub appointment_id: AppointmentId,
    /// What to tell its client.
    pub notification: Notification,
}

/// What happened to an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Booked,
    Cancelled,
    Rescheduled,
    Reminder,
}

impl Notice {
    fn kind(self) -> &'static str {
        match self {
            Self::Booked => BOOKED,
            Self::Cancelled => CANCELLED,
            Self::Rescheduled => RESCHEDULED,
            Self::Reminder => REMINDER,
        }
    }
}

fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%A %-d %B %Y at %H:%M (%Z)")
        .to_string()
}

/// The words of a notice to the appointment's client.
pub(crate) fn word(
    notice: Notice,
    a: &appointment::Model,
    pro: &Professional,
    service: &offering::Model,
    client: &client::Model,
) -> Notification {
    let when = local(a.start_at, pro.time_zone);
    let (subject, lead) = match notice {
        Notice::Booked => (format!("Your appointment with {}", pro.name), "is booked"),
        Notice::Cancelled => (
            format!("Cancelled: {} with {}", service.name, pro.name),
            "was cancelled",
        ),
        Notice::Rescheduled => (
            format!("New time: {} with {}", service.name, pro.name),
            "has moved",
        ),
        Notice::Reminder => (
            format!("Tomorrow: {} with {}", service.name, pro.name),
            "is tomorrow",
        ),
    };
    let pending = if a.status == AppointmentStatus::Pending {
        " It is waiting for confirmation."
    } else {
        ""
    };
    Notification {
        kind: notice.kind().to_string(),
        recipient: Recipient {
            name: client.name.clone(),
            email: client.email.as_deref().and_then(|e| Email::parse(e).ok()),
            phone: client.phone.as_deref().and_then(|p| Phone::parse(p).ok()),
        },
        subject,
        body: format!(
            "Hello {},\n\nYour appointment for {} with {} {}: {}.{}\n",
            client.name, service.name, pro.name, lead, when, pending
        ),
    }
}

/// Records a notice about `a` on `db` (the transaction of the change).
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    notice: Notice,
    a: &appointment::Model,
    pro: &Professional,
    service: &offering::Model,
    client: &client::Model,
) -> Result<()> {
    let payload = AppointmentNotice {
        appointment_id: a.id,
        notification: word(notice, a, pro, service, client),
    };
    outbox::record(db, clock, NewEvent::new(notice.kind(), a.id, &payload)?).await?;
    Ok(())
}

/// The parties of an appointment a caller already holds; [`record_loading`]
/// reads only the ones missing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known<'a> {
    pub(crate) pro: Option<&'a Professional>,
    pub(crate) service: Option<&'a offering::Model>,
    pub(crate) client: Option<&'a client::Model>,
}

/// Like [`record`], reading whichever of the professional, service and
/// client the caller does not already hold.
pub(crate) async fn record_loading(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    notice: Notice,
    a: &appointment::Model,
    known: Known<'_>,
) -> Result<()> {
    let pro = match known.pro {
        Some(pro) => pro.clone(),
        None => professional::Entity::find_by_id(a.professional_id)
            .one(db)
            .await?
            .ok_or(Error::ProfessionalNotFound)?
            .into(),
    };
    let service = match known.service {
        Some(service) => service.clone(),
        None => offering::Entity::find_by_id(a.service_id)
            .one(db)
            .await?
            .ok_or(Error::ServiceNotFound)?,
    };
    let client = match known.client {
        Some(client) => client.clone(),
        None => client::Entity::find_by_id(a.client_id)
            .one(db)
            .await?
            .ok_or(Error::ClientNotFound)?,
    };
    record(db, clock, notice, a, &pro, &service, &client).await
}
