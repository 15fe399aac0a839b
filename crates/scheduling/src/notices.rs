//! What scheduling tells clients, requested from messaging.
//!
//! Every booking, cancellation, move and reminder records one
//! `notification.requested` event (kernel's [`notify`]) in the same
//! transaction as the change, naming the client and the appointment's
//! facts; messaging words, renders and delivers it. Times are in UTC and
//! the client hears them in the professional's time zone.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use trellis_kernel::{
    clock::SharedClock,
    contact::{Email, Phone},
    notify::{AppointmentParams, ChannelKind, Notice as Said, NotificationRequest, Recipient},
};

use crate::{
    entities::{appointment, client, offering, professional},
    error::{Error, Result},
    model::Professional,
    status::AppointmentStatus,
};

/// What happened to an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Booked,
    Cancelled,
    /// Moved; the appointment named is the new one, `from` the old start.
    Rescheduled {
        from: DateTime<Utc>,
    },
    Reminder,
}

/// The client, as a recipient: in the professional's time zone.
fn recipient(client: &client::Model, pro: &Professional) -> Recipient {
    Recipient {
        user_id: client.user_id,
        name: client.name.clone(),
        email: client.email.as_deref().and_then(|e| Email::parse(e).ok()),
        phone: client.phone.as_deref().and_then(|p| Phone::parse(p).ok()),
        locale: None,
        time_zone: Some(pro.time_zone.name().to_string()),
    }
}

/// The notice to the appointment's client.
pub(crate) fn notice(
    notice: Notice,
    a: &appointment::Model,
    pro: &Professional,
    service: &offering::Model,
) -> Said {
    let params = AppointmentParams {
        professional_name: pro.name.clone(),
        service_name: service.name.clone(),
        start_at: a.start_at,
        duration_minutes: u32::try_from((a.end_at - a.start_at).num_minutes()).unwrap_or(0),
        previous_start_at: match notice {
            Notice::Rescheduled { from } => Some(from),
            _ => None,
        },
    };
    match notice {
        Notice::Booked if a.status == AppointmentStatus::Pending => Said::BookingPending(params),
        Notice::Booked => Said::BookingConfirmed(params),
        Notice::Cancelled => Said::BookingCancelled(params),
        Notice::Rescheduled { .. } => Said::BookingRescheduled(params),
        Notice::Reminder => Said::Reminder24h(params),
    }
}

/// The request telling the appointment's client about `notice_kind`.
fn request(
    notice_kind: Notice,
    a: &appointment::Model,
    pro: &Professional,
    service: &offering::Model,
    client: &client::Model,
) -> NotificationRequest {
    NotificationRequest::new(recipient(client, pro), notice(notice_kind, a, pro, service))
}

/// Records a notice about `a` on `db` (the transaction of the change).
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    notice_kind: Notice,
    a: &appointment::Model,
    pro: &Professional,
    service: &offering::Model,
    client: &client::Model,
) -> Result<()> {
    request(notice_kind, a, pro, service, client)
        .record(db, clock, a.id)
        .await?;
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

/// The professional, service and client of `a`: the `known` ones as given,
/// the others read.
async fn parties(
    db: &impl ConnectionTrait,
    a: &appointment::Model,
    known: Known<'_>,
) -> Result<(Professional, offering::Model, client::Model)> {
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
    Ok((pro, service, client))
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
    let (pro, service, client) = parties(db, a, known).await?;
    record(db, clock, notice, a, &pro, &service, &client).await
}

/// Records the reminder of `a`: by WhatsApp only when the organization's
/// plan includes WhatsApp reminders (`whatsapp`), by its other channels
/// either way.
pub(crate) async fn record_reminder(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    a: &appointment::Model,
    whatsapp: bool,
) -> Result<()> {
    let (pro, service, client) = parties(db, a, Known::default()).await?;
    let mut reminder = request(Notice::Reminder, a, &pro, &service, &client);
    if !whatsapp {
        reminder = reminder.withholding(ChannelKind::Whatsapp);
    }
    reminder.record(db, clock, a.id).await?;
    Ok(())
}
