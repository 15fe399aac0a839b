//! Local days and weeks in an organization's zone, as UTC arithmetic the
//! database can do.
//!
//! Reports group by the local day (or ISO week) an entry starts in. The
//! portable way to get there in SQL, without a time-zone database in
//! SQLite, is integer arithmetic on epoch seconds: `(epoch + offset) / 86400`
//! is the local day number when `offset` is the zone's UTC offset at that
//! instant. A single offset would put entries on the wrong day across a DST
//! change, so [`offset_spans`] lists the offsets in force over the report's
//! range (computed here with chrono-tz) and the query picks one per entry
//! with a `CASE` on the entry's epoch. The result is exact for the zone's
//! rules, DST included, and costs a `CASE` of a few branches (two changes a
//! year) instead of a join against a calendar.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Offset, TimeZone as _, Utc};
use chrono_tz::Tz;

/// Seconds in a day.
pub const DAY_SECS: i64 = 86_400;

/// From `from` (epoch seconds) on, until the next span, the zone is
/// `offset` seconds ahead of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetSpan {
    /// Epoch second the span starts at.
    pub from: i64,
    /// The zone's UTC offset in seconds.
    pub offset: i64,
}

/// The zone's UTC offset at epoch second `t`.
pub fn offset_at(tz: Tz, t: i64) -> i64 {
    let instant = DateTime::from_timestamp(t, 0).unwrap_or_default();
    i64::from(
        tz.offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// The first instant of local `day` in `tz`: its midnight, the earlier of
/// two when the clock repeats midnight, or the end of the gap when the
/// clock skips it (America/Santiago springs forward at 00:00).
pub fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    for minute in 0..(24 * 60) {
        let local = midnight + Duration::minutes(minute);
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    // Unreachable for real zones; UTC midnight keeps the report usable.
    midnight.and_utc()
}

/// The offsets in force over `[lo, hi)`, in order, the first from `lo`.
///
/// The zone is sampled hourly and each change is then found to the second
/// by bisection: exact as long as a zone does not change its offset twice
/// within one hour, which none does.
pub fn offset_spans(tz: Tz, lo: DateTime<Utc>, hi: DateTime<Utc>) -> Vec<OffsetSpan> {
    let (lo, hi) = (lo.timestamp(), hi.timestamp());
    let mut spans = vec![OffsetSpan {
        from: lo,
        offset: offset_at(tz, lo),
    }];
    let mut t = lo;
    while t < hi {
        let next = (t + 3_600).min(hi - 1);
        if next <= t {
            break;
        }
        let current = spans.last().map_or(0, |s| s.offset);
        let offset = offset_at(tz, next);
        if offset != current {
            // The first second with the new offset lies in (t, next].
            let (mut before, mut after) = (t, next);
            while after - before > 1 {
                let mid = before + (after - before) / 2;
                if offset_at(tz, mid) == current {
                    before = mid;
                } else {
                    after = mid;
                }
            }
            spans.push(OffsetSpan {
                from: after,
                offset: offset_at(tz, after),
            });
        }
        t = next;
    }
    spans
}

/// The local day number (days since 1970-01-01) of epoch second `t`, as the
/// report's SQL computes it.
pub fn local_day_number(tz: Tz, t: i64) -> i64 {
    (t + offset_at(tz, t)).div_euclid(DAY_SECS)
}

/// The ISO week (Monday first) of a day number: 1970-01-01 was a Thursday,
/// so adding 3 makes weeks start on Mondays.
pub fn week_number(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

/// The date of a day number.
pub fn day_date(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + Duration::days(day)
}

/// The Monday a week number starts on.
pub fn week_monday(week: i64) -> NaiveDate {
    day_date(week * 7 - 3)
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Weekday};

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn spans_follow_dst_to_the_second() {
        let lisbon = chrono_tz::Europe::Lisbon;
        let spans = offset_spans(
            lisbon,
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            spans,
            vec![
                OffsetSpan {
                    from: utc("2026-01-01T00:00:00Z").timestamp(),
                    offset: 0
                },
                OffsetSpan {
                    from: utc("2026-03-29T01:00:00Z").timestamp(),
                    offset: 3_600
                },
                OffsetSpan {
                    from: utc("2026-10-25T01:00:00Z").timestamp(),
                    offset: 0
                },
            ]
        );
        let utc_only = offset_spans(
            Tz::UTC,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-02-01T00:00:00Z"),
        );
        assert_eq!(utc_only.len(), 1);
    }

    #[test]
    fn day_numbers_match_chrono_across_dst() {
        let ny = chrono_tz::America::New_York;
        let start = utc("2026-03-07T00:00:00Z").timestamp();
        for step in 0..(4 * 24 * 4) {
            let t = start + step * 900;
            let expected = DateTime::from_timestamp(t, 0)
                .unwrap_or_default()
                .with_timezone(&ny)
                .date_naive();
            assert_eq!(day_date(local_day_number(ny, t)), expected);
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        for offset in 0..30 {
            let day = date(2026, 11, 1) + Duration::days(offset);
            let number = (day - date(1970, 1, 1)).num_days();
            let monday = week_monday(week_number(number));
            assert_eq!(monday.weekday(), Weekday::Mon);
            assert!(monday <= day && day - monday < Duration::days(7));
        }
    }

    #[test]
    fn midnights_exist_even_when_the_clock_skips_them() {
        let lisbon = chrono_tz::Europe::Lisbon;
        assert_eq!(
            local_midnight(lisbon, date(2026, 7, 1)),
            utc("2026-06-30T23:00:00Z")
        );
        // Santiago skipped 00:00-01:00 on 2026-09-06: the day starts at 01:00 local.
        let santiago = chrono_tz::America::Santiago;
        let first = local_midnight(santiago, date(2026, 9, 6));
        assert_eq!(
            first.with_timezone(&santiago).date_naive(),
            date(2026, 9, 6)
        );
        assert!(
            (first - Duration::seconds(1))
                .with_timezone(&santiago)
                .date_naive()
                < date(2026, 9, 6)
        );
    }
}
