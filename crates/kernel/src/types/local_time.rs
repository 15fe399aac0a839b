//! Wall-clock times of day.

use std::fmt;

use chrono::NaiveTime;

use super::{string_schema, string_type};

/// A local wall time, `HH:MM`, in whatever zone its context names; `24:00`
/// is the end of the day (an interval's end, never a start: that rule is
/// the context's).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime(u16);

impl LocalTime {
    /// The OpenAPI format.
    pub const FORMAT: &'static str = "local-time";

    /// Midnight at the start of the day, `00:00`.
    pub const MIDNIGHT: Self = Self(0);

    /// Midnight at the end of the day, `24:00`.
    pub const END_OF_DAY: Self = Self(1440);

    /// Parses exactly `HH:MM` (two digits each), `00:00` to `24:00`.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const MESSAGE: &str = "must be HH:MM (24:00 for the end of the day)";
        let (h, m) = raw.split_once(':').ok_or(MESSAGE)?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(MESSAGE);
        }
        let (h, m): (u16, u16) = (
            h.parse().map_err(|_| MESSAGE)?,
            m.parse().map_err(|_| MESSAGE)?,
        );
        match (h, m) {
            (24, 0) => Ok(Self::END_OF_DAY),
            (0..=23, 0..=59) => Ok(Self(h * 60 + m)),
            _ => Err(MESSAGE),
        }
    }

    /// From minutes after midnight, 0 to 1440.
    pub fn from_minutes(minutes: i32) -> Option<Self> {
        u16::try_from(minutes).ok().filter(|m| *m <= 1440).map(Self)
    }

    /// From minutes after midnight, out-of-range values clamped to `00:00`
    /// or `24:00` (for values that were checked when they were stored).
    pub fn saturating_from_minutes(minutes: i32) -> Self {
        Self(u16::try_from(minutes.clamp(0, 1440)).unwrap_or(0))
    }

    /// Minutes after midnight, 0 to 1440.
    pub fn minutes(self) -> i32 {
        i32::from(self.0)
    }

    /// True for `24:00`.
    pub fn is_end_of_day(self) -> bool {
        self == Self::END_OF_DAY
    }

    /// As a clock time; `24:00` is the next day's `00:00`.
    pub fn wall_time(self) -> NaiveTime {
        let minutes = u32::from(self.0 % 1440);
        NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or(NaiveTime::MIN)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

string_type!(
    LocalTime,
    poem_openapi::registry::MetaSchema {
        pattern: Some("^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$".to_string()),
        ..string_schema(
            "A local wall time, HH:MM; 24:00 is the end of the day.",
            "09:30"
        )
    }
);

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ToJSON};
    use serde_json::json;

    use super::*;

    #[test]
    fn wall_times_parse_and_print() {
        assert_eq!(LocalTime::parse("09:30").map(LocalTime::minutes), Ok(570));
        assert_eq!(LocalTime::parse("00:00"), Ok(LocalTime::MIDNIGHT));
        assert_eq!(LocalTime::parse("24:00"), Ok(LocalTime::END_OF_DAY));
        assert!(LocalTime::END_OF_DAY.is_end_of_day());
        for bad in [
            "24:01", "9:30", "09:60", "25:00", "0930", "09:30:00", "+9:30", "", "ab:cd",
        ] {
            assert!(LocalTime::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            LocalTime::from_minutes(570).map(|t| t.to_string()),
            Some("09:30".into())
        );
        assert_eq!(LocalTime::from_minutes(1441), None);
        assert_eq!(LocalTime::from_minutes(-1), None);
        assert_eq!(
            LocalTime::saturating_from_minutes(2000),
            LocalTime::END_OF_DAY
        );
        assert_eq!(LocalTime::saturating_from_minutes(-5), LocalTime::MIDNIGHT);
        assert_eq!(LocalTime::saturating_from_minutes(61).to_string(), "01:01");
        assert_eq!(LocalTime::END_OF_DAY.to_string(), "24:00");
        assert_eq!(LocalTime::END_OF_DAY.wall_time(), NaiveTime::MIN);
        assert_eq!(
            LocalTime::parse("13:05").map(LocalTime::wall_time).ok(),
            NaiveTime::from_hms_opt(13, 5, 0)
        );
        assert!(LocalTime::parse("08:00") < LocalTime::parse("08:01"));
    }

    #[test]
    fn wall_times_round_trip() {
        let time = LocalTime::parse_from_json(Some(json!("07:05"))).ok();
        assert_eq!(time.and_then(|t| t.to_json()), Some(json!("07:05")));
        let via_serde: Result<LocalTime, _> = serde_json::from_value(json!("07:05"));
        assert_eq!(via_serde.ok(), time);
        assert!(serde_json::from_value::<LocalTime>(json!("7:05")).is_err());
        assert!(LocalTime::parse_from_json(Some(json!(705))).is_err());
    }
}
