//! The words of scheduling notifications (until messaging brings templates).

use chrono::{DateTime, Utc};
use trellis_kernel::{
    contact::{Email, Phone, parse_time_zone},
    ports::{Notification, Recipient},
};
use trellis_scheduling::entities::{appointment, client, offering, professional};

use crate::state::AppState;

/// What happened to an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Booked (by the client or the professional).
    Booked,
    /// Cancelled.
    Cancelled,
    /// Moved to another time.
    Rescheduled,
    /// Tomorrow's reminder.
    Reminder,
}

fn local(at: DateTime<Utc>, pro: &professional::Model) -> String {
    let zone = parse_time_zone(&pro.time_zone).unwrap_or(chrono_tz::Tz::UTC);
    at.with_timezone(&zone)
        .format("%A %-d %B %Y at %H:%M (%Z)")
        .to_string()
}

/// The notification to the client about `event`.
pub fn to_client(
    event: Event,
    a: &appointment::Model,
    pro: &professional::Model,
    service: &offering::Model,
    client: &client::Model,
) -> Notification {
    let when = local(a.start_at, pro);
    let (kind, subject, lead) = match event {
        Event::Booked => (
            "appointment.booked",
            format!("Your appointment with {}", pro.name),
            "is booked",
        ),
        Event::Cancelled => (
            "appointment.cancelled",
            format!("Cancelled: {} with {}", service.name, pro.name),
            "was cancelled",
        ),
        Event::Rescheduled => (
            "appointment.rescheduled",
            format!("New time: {} with {}", service.name, pro.name),
            "has moved",
        ),
        Event::Reminder => (
            "appointment.reminder",
            format!("Tomorrow: {} with {}", service.name, pro.name),
            "is tomorrow",
        ),
    };
    let status = if a.status == trellis_scheduling::status::AppointmentStatus::Pending {
        " It is waiting for confirmation."
    } else {
        ""
    };
    Notification {
        kind,
        recipient: Recipient {
            name: client.name.clone(),
            email: client.email.as_deref().and_then(|e| Email::parse(e).ok()),
            phone: client.phone.as_deref().and_then(|p| Phone::parse(p).ok()),
        },
        subject,
        body: format!(
            "Hello {},\n\nYour appointment for {} with {} {}: {}.{}\n",
            client.name, service.name, pro.name, lead, when, status
        ),
    }
}

/// Sends a notification in the background; failures are logged.
pub fn send_later(state: &AppState, notification: Notification) {
    let notifier = state.notifier.clone();
    tokio::spawn(async move {
        let kind = notification.kind;
        if let Err(err) = notifier.notify(notification).await {
            tracing::warn!(kind, error = %err, "notification not delivered");
        }
    });
}

/// Notifies an appointment's client in the background: the details lookup
/// and the delivery both happen after the response has gone out.
pub fn appointment_event(
    state: &AppState,
    id: trellis_scheduling::ids::AppointmentId,
    event: Event,
) {
    let state = state.clone();
    tokio::spawn(async move {
        match state.scheduling.appointments.details(&state.db, id).await {
            Ok((a, pro, service, client)) => {
                send_later(&state, to_client(event, &a, &pro, &service, &client))
            }
            Err(err) => tracing::warn!(error = %err, "cannot load the appointment to notify about"),
        }
    });
}
