//! Occurrences of a recurring schedule, as a pure function.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::slots::resolve;

/// A weekly rule: weekday, wall time, every `interval_weeks` weeks from `starts_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    /// The professional's zone.
    pub zone: Tz,
    /// ISO weekday, 1 = Monday.
    pub weekday: u8,
    /// Local start.
    pub time: NaiveTime,
    /// Weeks between occurrences (at least 1).
    pub interval_weeks: u32,
    /// No occurrence before this date.
    pub starts_on: NaiveDate,
    /// No occurrence after this date.
    pub until: Option<NaiveDate>,
    /// At most this many occurrences.
    pub count: Option<u32>,
}

impl Recurrence {
    /// The local date of occurrence `index` (0-based), if the rule has one.
    pub fn date(&self, index: u32) -> Option<NaiveDate> {
        if self.count.is_some_and(|c| index >= c) {
            return None;
        }
        let ahead = (i64::from(self.weekday)
            - i64::from(self.starts_on.weekday().number_from_monday()))
        .rem_euclid(7);
        let first = self.starts_on + Duration::days(ahead);
        let date =
            first + Duration::weeks(i64::from(self.interval_weeks.max(1)) * i64::from(index));
        if self.until.is_some_and(|u| date > u) {
            return None;
        }
        Some(date)
    }

    /// The instant occurrence `index` starts (DST resolved like availability).
    pub fn start(&self, index: u32) -> Option<DateTime<Utc>> {
        self.date(index).map(|d| resolve(self.zone, d, self.time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(interval_weeks: u32, count: Option<u32>, until: Option<&str>) -> Recurrence {
        Recurrence {
            zone: "Europe/Lisbon".parse().unwrap_or(Tz::UTC),
            weekday: 2, // Tuesday
            time: NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN),
            interval_weeks,
            starts_on: NaiveDate::from_ymd_opt(2027, 3, 18).unwrap_or_default(), // a Thursday
            until: until.and_then(|u| u.parse().ok()),
            count,
        }
    }

    #[test]
    fn every_other_tuesday_from_the_first_one_after_the_start() {
        let r = every(2, Some(3), None);
        let dates: Vec<String> = (0..5)
            .filter_map(|i| r.date(i))
            .map(|d| d.to_string())
            .collect();
        assert_eq!(dates, ["2027-03-23", "2027-04-06", "2027-04-20"]);
    }

    #[test]
    fn until_bounds_and_wall_time_survives_dst() {
        let r = every(1, None, Some("2027-03-30"));
        // 2027-03-23 is WET (+00:00), 2027-03-30 WEST (+01:00): 10:00 local both times.
        assert_eq!(
            r.start(0).map(|t| t.to_rfc3339()),
            Some("2027-03-23T10:00:00+00:00".into())
        );
        assert_eq!(
            r.start(1).map(|t| t.to_rfc3339()),
            Some("2027-03-30T09:00:00+00:00".into())
        );
        assert_eq!(r.start(2), None);
    }
}
