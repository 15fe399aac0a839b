//! Rows to views, and the conversions of stored values back to domain types.

use chrono_tz::Tz;
use trellis_kernel::types::{LocalTime, TimeZone};

use crate::{
    entities::{appointment, client, client_note, offering, time_off},
    model::{
        AppointmentView, ClientView, NoteView, Professional, ProfessionalView, ServiceView,
        TimeOffView,
    },
};

/// The owner's view of a profile.
pub fn professional(p: &Professional) -> ProfessionalView {
    ProfessionalView {
        id: p.id,
        slug: p.slug.clone(),
        name: p.name.clone(),
        bio: p.bio.clone(),
        time_zone: p.time_zone.name().to_string(),
        org_id: p.org_id,
        created_at: p.created_at.into(),
    }
}

/// A service.
pub fn service(s: offering::Model) -> ServiceView {
    ServiceView {
        id: s.id,
        name: s.name,
        duration_minutes: s.duration_minutes,
        price_minor: s.price_minor,
        currency: s.currency,
        buffer_before_minutes: s.buffer_before_minutes,
        buffer_after_minutes: s.buffer_after_minutes,
        min_notice_minutes: s.min_notice_minutes,
        max_advance_days: s.max_advance_days,
        slot_increment_minutes: s.slot_increment_minutes,
        requires_confirmation: s.requires_confirmation,
        cancellation_notice_minutes: s.cancellation_notice_minutes,
        active: s.active,
    }
}

/// A period off.
pub fn time_off(t: time_off::Model) -> TimeOffView {
    TimeOffView {
        id: t.id,
        start_at: t.start_at.into(),
        end_at: t.end_at.into(),
        reason: t.reason,
    }
}

/// A client.
pub fn client(c: client::Model) -> ClientView {
    ClientView {
        id: c.id,
        name: c.name,
        phone: c.phone,
        email: c.email,
        created_at: c.created_at.into(),
    }
}

/// A note.
pub fn note(n: client_note::Model) -> NoteView {
    NoteView {
        id: n.id,
        body: n.body,
        created_at: n.created_at.into(),
    }
}

/// An appointment.
pub fn appointment(a: appointment::Model) -> AppointmentView {
    AppointmentView {
        id: a.id,
        status: a.status,
        start_at: a.start_at.into(),
        end_at: a.end_at.into(),
        service_id: a.service_id,
        client_id: a.client_id,
        price_minor: a.price_minor,
        currency: a.currency,
        notes: a.notes,
        cancel_reason: a.cancel_reason,
        rescheduled_from: a.rescheduled_from,
        created_at: a.created_at.into(),
    }
}

/// A zone name read back from the database (validated when stored).
pub fn parse_stored_zone(name: &str) -> Tz {
    TimeZone::parse(name).map_or(Tz::UTC, TimeZone::tz)
}

/// Minutes after midnight read back from the database (validated when stored).
pub fn local_time(minutes: i32) -> LocalTime {
    LocalTime::saturating_from_minutes(minutes)
}
