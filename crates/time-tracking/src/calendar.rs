//! Local days and weeks in an organization's zone, as UTC ranges the
//! database can select by.
//!
//! Reports group by the local day (or ISO week) an entry starts in. Rather
//! than compute that day for every entry in SQL (SQLite has no time-zone
//! database, and per-row arithmetic is most of the cost on PostgreSQL), the
//! report's range is cut here into [`Bucket`]s: runs of UTC instants that
//! share one local day or week, found from the offsets in force over the
//! range ([`offset_spans`], computed with chrono-tz). The query then sums
//! each bucket's entries by the start's plain index range. Within a span of
//! one offset `o`, the local day of epoch second `t` is `(t + o) / 86400`,
//! so its day boundaries fall at `k * 86400 - o`; a bucket ends at the next
//! such boundary or offset change, whichever comes first. The result is
//! exact for the zone's rules: DST days of 23 or 25 hours, offsets such as
//! +05:45, days a zone skipped, and clocks going back across midnight.

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

/// A run of instants `[from, to)` (epoch seconds) that all start on local
/// day (or in local week) `number`; see [`buckets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Day number (days since 1970-01-01) or week number ([`week_number`]).
    pub number: i64,
    /// First epoch second of the run.
    pub from: i64,
    /// Epoch second after the run.
    pub to: i64,
}

/// `[lo, hi)` (epoch seconds) cut into runs of one local day each, or one
/// local ISO week each when `weeks`, in time order, given the offsets in
/// force over it (`spans`, from [`offset_spans`] over the same range).
///
/// Neighbouring runs with the same number are one bucket, so a day is one
/// bucket, 23 or 25 hours long on a DST change, except where the clock goes
/// back across midnight (from 00:30 to 23:30, say): then the day it goes
/// back to gets a second bucket, and the day after is cut in two around it.
pub fn buckets(spans: &[OffsetSpan], lo: i64, hi: i64, weeks: bool) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        let end = spans.get(i + 1).map_or(hi, |next| next.from).min(hi);
        let mut t = span.from.max(lo);
        while t < end {
            let day = (t + span.offset).div_euclid(DAY_SECS);
            let piece_end = ((day + 1) * DAY_SECS - span.offset).min(end);
            let number = if weeks { week_number(day) } else { day };
            match out.last_mut() {
                Some(last) if last.number == number && last.to == t => last.to = piece_end,
                _ => out.push(Bucket {
                    number,
                    from: t,
                    to: piece_end,
                }),
            }
            t = piece_end;
        }
    }
    out
}

/// The local day number (days since 1970-01-01) of epoch second `t`: the
/// day whose [`buckets`] hold `t`.
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

    /// The bucket holding epoch second `t`.
    fn bucket_of(buckets: &[Bucket], t: i64) -> Option<Bucket> {
        buckets.iter().copied().find(|b| b.from <= t && t < b.to)
    }

    fn day_buckets(tz: Tz, from: NaiveDate, to: NaiveDate, weeks: bool) -> Vec<Bucket> {
        let lo = local_midnight(tz, from);
        let hi = local_midnight(tz, to + Duration::days(1));
        buckets(
            &offset_spans(tz, lo, hi),
            lo.timestamp(),
            hi.timestamp(),
            weeks,
        )
    }

    fn chrono_day(tz: Tz, t: i64) -> i64 {
        let local = DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&tz)
            .date_naive();
        (local - date(1970, 1, 1)).num_days()
    }

    #[test]
    fn buckets_hold_the_local_day_chrono_says() {
        // Whole-hour DST, +05:30 and +05:45, Lord Howe's half-hour DST,
        // Chatham's +12:45/+13:45, Santiago's changes at midnight, Samoa
        // skipping 2011-12-30.
        let zones = [
            ("Europe/Lisbon", date(2026, 3, 20), date(2026, 11, 5)),
            ("America/New_York", date(2026, 3, 1), date(2026, 11, 10)),
            ("Asia/Kolkata", date(2026, 1, 1), date(2026, 2, 15)),
            ("Asia/Kathmandu", date(2026, 1, 1), date(2026, 2, 15)),
            ("Australia/Lord_Howe", date(2026, 3, 25), date(2026, 10, 10)),
            ("Pacific/Chatham", date(2026, 3, 25), date(2026, 10, 1)),
            ("America/Santiago", date(2026, 4, 1), date(2026, 9, 10)),
            ("Pacific/Apia", date(2011, 12, 25), date(2012, 1, 5)),
            ("UTC", date(2026, 1, 1), date(2026, 1, 20)),
        ];
        for (name, from, to) in zones {
            let tz: Tz = name.parse().unwrap_or(Tz::UTC);
            for weeks in [false, true] {
                let buckets = day_buckets(tz, from, to, weeks);
                let lo = local_midnight(tz, from).timestamp();
                let hi = local_midnight(tz, to + Duration::days(1)).timestamp();
                // In order, back to back, none empty, covering [lo, hi).
                assert_eq!(buckets.first().map(|b| b.from), Some(lo), "{name}");
                assert_eq!(buckets.last().map(|b| b.to), Some(hi), "{name}");
                for pair in buckets.windows(2) {
                    assert_eq!(pair[0].to, pair[1].from, "{name}");
                }
                assert!(buckets.iter().all(|b| b.from < b.to), "{name}");
                // Every 7 minutes and 13 seconds, and each bucket's ends.
                let probes = (lo..hi)
                    .step_by(433)
                    .chain(buckets.iter().flat_map(|b| [b.from, b.to - 1]));
                for t in probes {
                    let day = chrono_day(tz, t);
                    let want = if weeks { week_number(day) } else { day };
                    assert_eq!(
                        bucket_of(&buckets, t).map(|b| b.number),
                        Some(want),
                        "{name} at {t}, weeks {weeks}"
                    );
                    assert_eq!(local_day_number(tz, t), day, "{name} at {t}");
                }
            }
        }
    }

    #[test]
    fn a_day_is_one_bucket_of_its_own_length() {
        let secs = |text: &str| utc(text).timestamp();
        let number = |d: NaiveDate| (d - date(1970, 1, 1)).num_days();
        // +05:45 all year: days run from 18:15 UTC.
        let kathmandu = day_buckets(
            chrono_tz::Asia::Kathmandu,
            date(2026, 6, 1),
            date(2026, 6, 2),
            false,
        );
        assert_eq!(
            kathmandu,
            vec![
                Bucket {
                    number: number(date(2026, 6, 1)),
                    from: secs("2026-05-31T18:15:00Z"),
                    to: secs("2026-06-01T18:15:00Z"),
                },
                Bucket {
                    number: number(date(2026, 6, 2)),
                    from: secs("2026-06-01T18:15:00Z"),
                    to: secs("2026-06-02T18:15:00Z"),
                },
            ]
        );
        // Lisbon's DST days: 23 hours in March, 25 in October.
        let lisbon = chrono_tz::Europe::Lisbon;
        let march = day_buckets(lisbon, date(2026, 3, 29), date(2026, 3, 29), false);
        assert_eq!(
            march,
            vec![Bucket {
                number: number(date(2026, 3, 29)),
                from: secs("2026-03-29T00:00:00Z"),
                to: secs("2026-03-29T23:00:00Z"),
            }]
        );
        let october = day_buckets(lisbon, date(2026, 10, 25), date(2026, 10, 25), false);
        assert_eq!(
            october,
            vec![Bucket {
                number: number(date(2026, 10, 25)),
                from: secs("2026-10-24T23:00:00Z"),
                to: secs("2026-10-26T00:00:00Z"),
            }]
        );
        // A week across the change is one bucket of 7 days less an hour.
        let week = day_buckets(lisbon, date(2026, 3, 23), date(2026, 3, 29), true);
        assert_eq!(week.len(), 1);
        assert_eq!(week[0].to - week[0].from, 7 * DAY_SECS - 3_600);
    }

    #[test]
    fn a_clock_going_back_across_midnight_revisits_the_day_before() {
        // Offset +01:00, then at 00:30 local (23:30 UTC) back to 00:00:
        // 00:00-00:30 is day 1, 23:30-24:00 day 0 again, then day 1 on.
        let (lo, change, hi) = (0, DAY_SECS - 1_800, 3 * DAY_SECS);
        let spans = [
            OffsetSpan {
                from: lo,
                offset: 3_600,
            },
            OffsetSpan {
                from: change,
                offset: 0,
            },
        ];
        let got: Vec<(i64, i64, i64)> = buckets(&spans, lo, hi, false)
            .into_iter()
            .map(|b| (b.number, b.from, b.to))
            .collect();
        assert_eq!(
            got,
            [
                (0, 0, DAY_SECS - 3_600),
                (1, DAY_SECS - 3_600, change),
                (0, change, DAY_SECS),
                (1, DAY_SECS, 2 * DAY_SECS),
                (2, 2 * DAY_SECS, 3 * DAY_SECS),
            ]
        );
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
