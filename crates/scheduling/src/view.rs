//! Rows to views, and small parsers shared by the services.

use chrono::NaiveTime;
use chrono_tz::Tz;
use trellis_kernel::contact::parse_time_zone;

use crate::{
    entities::{appointment, client, client_note, offering, time_off},
    error::{Error, Result},
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

/// A time zone field.
pub fn zone(field: &str, name: &str) -> Result<Tz> {
    parse_time_zone(name).map_err(|m| Error::field(field, m))
}

/// A zone name read back from the database (validated when stored).
pub fn parse_stored_zone(name: &str) -> Tz {
    parse_time_zone(name).unwrap_or(Tz::UTC)
}

/// The professional's zone.
pub fn zone_of(p: &Professional) -> Tz {
    p.time_zone
}

/// `HH:MM` (or `24:00` for the end of the day) into minutes after midnight.
pub fn parse_hhmm(text: &str) -> Option<i32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Minutes after midnight back to `HH:MM`.
pub fn format_hhmm(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Minutes after midnight as a wall time (1440 becomes midnight, the next day's start).
pub fn wall_time(minutes: i32) -> NaiveTime {
    let minutes = u32::try_from(minutes.rem_euclid(1440)).unwrap_or(0);
    NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or(NaiveTime::MIN)
}

/// An ISO 4217-shaped currency code.
pub fn currency(field: &str, code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::field(
            field,
            "must be a three-letter currency code such as EUR",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_parse_and_print() {
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("9:30"), None);
        assert_eq!(parse_hhmm("09:60"), None);
        assert_eq!(format_hhmm(570), "09:30");
        assert_eq!(wall_time(1440), NaiveTime::MIN);
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(currency("c", "eur").ok(), Some("EUR".into()));
        assert!(currency("c", "EURO").is_err());
    }
}
