//! The slot engine: free start times, as a pure function.
//!
//! Availability is written in the professional's wall-clock time (weekly
//! rules in their IANA zone); bookings are instants. Each rule is turned into
//! a UTC window for every local date it covers, resolving daylight-saving
//! changes: a wall time that does not exist (the spring-forward gap) resolves
//! to the first instant after the gap, an ambiguous one (fall back) to the
//! earlier instant. Candidates then step through each window by the slot
//! increment in real (absolute) time, and a candidate survives if its
//! appointment fits the window, respects minimum notice and maximum advance,
//! and its blocked range (the appointment plus the new service's buffers)
//! overlaps no busy interval (existing appointments with their own buffers,
//! time off).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A half-open interval of instants, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// An interval; `end` must be after `start` to be non-empty.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    /// True if the two share at least one instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// One weekly availability interval in wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRule {
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Local start.
    pub start: NaiveTime,
    /// Local end (after start, same day).
    pub end: NaiveTime,
}

/// The rules of the service being booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRules {
    /// Appointment length.
    pub duration: Duration,
    /// Kept free before the appointment.
    pub buffer_before: Duration,
    /// Kept free after the appointment.
    pub buffer_after: Duration,
    /// How soon from now a slot may start.
    pub min_notice: Duration,
    /// How far ahead a slot may start.
    pub max_advance: Duration,
    /// Step between candidate start times.
    pub increment: Duration,
}

impl ServiceRules {
    /// The range an appointment starting at `start` keeps busy.
    pub fn block(&self, start: DateTime<Utc>) -> Interval {
        Interval::new(
            start - self.buffer_before,
            start + self.duration + self.buffer_after,
        )
    }
}

/// Everything the engine needs.
#[derive(Debug, Clone)]
pub struct SlotQuery<'a> {
    /// The professional's zone (the rules' wall clock).
    pub zone: Tz,
    /// Weekly availability.
    pub rules: &'a [WeeklyRule],
    /// Busy intervals: existing active appointments with their buffers, time off.
    pub busy: &'a [Interval],
    /// The service being booked.
    pub service: ServiceRules,
    /// Now.
    pub now: DateTime<Utc>,
    /// Only slots starting in this range.
    pub range: Interval,
}

/// A bookable start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// When the appointment starts.
    pub start: DateTime<Utc>,
    /// When it ends (buffers excluded).
    pub end: DateTime<Utc>,
}

/// Resolves a wall-clock time in `zone` to an instant (see the module docs
/// for the DST rules).
pub fn resolve(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    let mut probe = local;
    // Gaps are at most a few hours in every zone's history; step past them.
    for _ in 0..=24 * 4 {
        match zone.from_local_datetime(&probe) {
            chrono::LocalResult::Single(t) => return t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            chrono::LocalResult::None => probe += Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The end of a window: midnight at the end of the day is the next day's start.
fn resolve_end(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    if time == NaiveTime::MIN {
        resolve(zone, date + Duration::days(1), NaiveTime::MIN)
    } else {
        resolve(zone, date, time)
    }
}

/// The availability windows, in UTC, for the local dates around `range`.
pub fn windows(zone: Tz, rules: &[WeeklyRule], range: Interval) -> Vec<Interval> {
    let first = range.start.with_timezone(&zone).date_naive() - Duration::days(1);
    let last = range.end.with_timezone(&zone).date_naive() + Duration::days(1);
    let mut out = Vec::new();
    let mut date = first;
    while date <= last {
        let weekday = date.weekday().number_from_monday() as u8;
        for rule in rules.iter().filter(|r| r.weekday == weekday) {
            let window = Interval::new(
                resolve(zone, date, rule.start),
                resolve_end(zone, date, rule.end),
            );
            if window.start < window.end && window.overlaps(&range) {
                out.push(window);
            }
        }
        date += Duration::days(1);
    }
    out.sort();
    out
}

/// Free start times in `query.range`, sorted and unique.
///
/// Instants are compared as integer nanoseconds, and busy time is first
/// merged into sorted disjoint intervals, so each candidate costs a binary
/// search rather than a scan of every busy interval.
pub fn free_slots(query: &SlotQuery<'_>) -> Vec<Slot> {
    let service = query.service;
    if service.duration <= Duration::zero() || service.increment <= Duration::zero() {
        return Vec::new();
    }
    let duration = nanos_of(service.duration);
    let increment = nanos_of(service.increment);
    let before = nanos_of(service.buffer_before);
    let after = nanos_of(service.buffer_after);
    let now = nanos(query.now);
    // A start is allowed in [first, last]: in range, after the notice and
    // within the advance.
    let first = nanos(query.range.start).max(now + nanos_of(service.min_notice));
    let last = (nanos(query.range.end) - 1).min(now + nanos_of(service.max_advance));
    let busy = Busy::new(query.busy, before + duration + after);

    let mut starts: Vec<Nanos> = Vec::new();
    let mut cursor = 0;
    for window in windows(query.zone, query.rules, query.range) {
        let (window_start, window_end) = (nanos(window.start), nanos(window.end));
        // The first step of this window at or after `first`.
        let mut start = if window_start < first {
            let steps = (first - window_start + increment - 1) / increment;
            window_start + steps * increment
        } else {
            window_start
        };
        while start <= last && start + duration <= window_end {
            if !busy.collides(start - before, start + duration + after, &mut cursor) {
                starts.push(start);
            }
            start += increment;
        }
    }
    if !starts.is_sorted() {
        starts.sort_unstable();
    }
    starts.dedup();
    let mut instants = Instants::default();
    let mut slots = Vec::with_capacity(starts.len());
    for start in starts {
        if let (Some(start), Some(end)) = (instants.at(start), instants.at(start + duration)) {
            slots.push(Slot { start, end });
        }
    }
    slots
}

/// An instant or a span in nanoseconds (since the Unix epoch): exact for
/// every `DateTime<Utc>` and `Duration`, and cheap to add and compare.
type Nanos = i128;

const NANOS_PER_SEC: Nanos = 1_000_000_000;

fn nanos(t: DateTime<Utc>) -> Nanos {
    Nanos::from(t.timestamp()) * NANOS_PER_SEC + Nanos::from(t.timestamp_subsec_nanos())
}

fn nanos_of(d: Duration) -> Nanos {
    Nanos::from(d.num_seconds()) * NANOS_PER_SEC + Nanos::from(d.subsec_nanos())
}

/// Nanoseconds back to instants, remembering the last day's date (slots
/// come in order, many a day).
#[derive(Default)]
struct Instants {
    day: i64,
    date: Option<NaiveDate>,
}

impl Instants {
    /// The instant `n` nanoseconds after the epoch, if `DateTime` has it.
    fn at(&mut self, n: Nanos) -> Option<DateTime<Utc>> {
        // 128-bit division is a slow library call; years 1678 to 2261 fit 64 bits.
        let (secs, nsecs) = match i64::try_from(n) {
            Ok(n) => (n.div_euclid(1_000_000_000), n.rem_euclid(1_000_000_000)),
            Err(_) => (
                i64::try_from(n.div_euclid(NANOS_PER_SEC)).ok()?,
                i64::try_from(n.rem_euclid(NANOS_PER_SEC)).ok()?,
            ),
        };
        let day = secs.div_euclid(86_400);
        let date = match self.date {
            Some(date) if self.day == day => date,
            _ => {
                let date = DateTime::from_timestamp(day.checked_mul(86_400)?, 0)?.date_naive();
                (self.day, self.date) = (day, Some(date));
                date
            }
        };
        let time = NaiveTime::from_num_seconds_from_midnight_opt(
            u32::try_from(secs.rem_euclid(86_400)).ok()?,
            u32::try_from(nsecs).ok()?,
        )?;
        Some(date.and_time(time).and_utc())
    }
}

/// Busy time, indexed for [`Interval::overlaps`] queries.
struct Busy {
    /// The union of the non-empty busy intervals: sorted, disjoint, not
    /// touching (so both starts and ends increase).
    merged: Vec<(Nanos, Nanos)>,
    /// Busy intervals that end at or before their start: by
    /// [`Interval::overlaps`] they still collide with a block that strictly
    /// contains them, which no union can express. Normally none.
    odd: Vec<(Nanos, Nanos)>,
    /// Every busy interval, kept only when blocks are themselves empty
    /// (negative buffers): then only the interval-by-interval test is exact.
    all: Vec<(Nanos, Nanos)>,
}

impl Busy {
    /// Indexes `busy` for blocks `block` long.
    fn new(busy: &[Interval], block: Nanos) -> Self {
        let mut proper = Vec::with_capacity(busy.len());
        let (mut odd, mut all) = (Vec::new(), Vec::new());
        for b in busy {
            let interval = (nanos(b.start), nanos(b.end));
            if block <= 0 {
                all.push(interval);
            } else if interval.0 < interval.1 {
                proper.push(interval);
            } else {
                odd.push(interval);
            }
        }
        if !proper.is_sorted() {
            proper.sort_unstable();
        }
        let mut merged: Vec<(Nanos, Nanos)> = Vec::with_capacity(proper.len());
        for (start, end) in proper {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        Self { merged, odd, all }
    }

    /// True if the block `[start, end)` overlaps any busy interval, exactly
    /// as [`Interval::overlaps`] decides it. `cursor` remembers where the
    /// previous block's search ended: blocks mostly come in order.
    fn collides(&self, start: Nanos, end: Nanos, cursor: &mut usize) -> bool {
        let overlaps = |&(s, e): &(Nanos, Nanos)| s < end && start < e;
        if start >= end {
            return self.all.iter().any(overlaps);
        }
        // The first merged interval ending after the block starts is the only
        // one that can overlap it.
        let merged = &self.merged;
        if *cursor > merged.len() || (*cursor > 0 && merged[*cursor - 1].1 > start) {
            *cursor = merged.partition_point(|&(_, e)| e <= start);
        }
        while merged.get(*cursor).is_some_and(|&(_, e)| e <= start) {
            *cursor += 1;
        }
        merged.get(*cursor).is_some_and(|&(s, _)| s < end) || self.odd.iter().any(overlaps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The engine as first written (a scan of the busy intervals per
    /// candidate, `DateTime` arithmetic): the oracle the fast one must match.
    fn reference_free_slots(query: &SlotQuery<'_>) -> Vec<Slot> {
        let service = query.service;
        if service.duration <= Duration::zero() || service.increment <= Duration::zero() {
            return Vec::new();
        }
        let earliest = query.now + service.min_notice;
        let latest = query.now + service.max_advance;
        let mut busy: Vec<Interval> = query.busy.to_vec();
        busy.sort();
        let collides = |block: Interval| {
            let candidates = busy.partition_point(|b| b.start < block.end);
            busy[..candidates].iter().any(|b| b.overlaps(&block))
        };
        let mut slots = Vec::new();
        for window in windows(query.zone, query.rules, query.range) {
            let mut start = window.start;
            while start + service.duration <= window.end {
                let in_range = start >= query.range.start && start < query.range.end;
                let allowed = start >= earliest && start <= latest;
                if in_range && allowed && !collides(service.block(start)) {
                    slots.push(Slot {
                        start,
                        end: start + service.duration,
                    });
                }
                start += service.increment;
            }
        }
        slots.sort();
        slots.dedup();
        slots
    }

    fn any_rule() -> impl Strategy<Value = WeeklyRule> {
        (1u8..=7, 0u32..(24 * 60), 0u32..(24 * 60)).prop_map(|(weekday, a, b)| {
            let t = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap_or(NaiveTime::MIN);
            WeeklyRule {
                weekday,
                start: t(a.min(b)),
                end: t(a.max(b)),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Same slots as the reference, whatever the input: overlapping
        /// rules, unsorted, overlapping, touching, empty and inverted busy
        /// intervals, odd seconds, negative buffers, zones with DST.
        #[test]
        fn matches_the_reference_engine(
            zone in prop::sample::select(vec!["Europe/Lisbon", "America/Sao_Paulo", "Australia/Lord_Howe", "UTC"]),
            rules in prop::collection::vec(any_rule(), 1..6),
            busy in prop::collection::vec((0i64..(16 * 24 * 60), -60i64..240, 0i64..4), 0..60),
            service in (1i64..=240, -20i64..=30, -20i64..=30, -48i64..=48, 1i64..=20, 1i64..=120),
            now_offset_s in -86_400i64..(10 * 86_400),
            range_s in (0i64..(3 * 86_400), 3600i64..(16 * 86_400)),
        ) {
            let zone: Tz = zone.parse().unwrap_or(Tz::UTC);
            let base = utc("2026-03-24T00:00:00Z");
            let busy: Vec<Interval> = busy
                .iter()
                .map(|&(s, len, odd)| {
                    // Whole minutes (boundaries that touch), now and then a second off.
                    let s = base + Duration::minutes(s) + Duration::seconds(odd / 3);
                    Interval::new(s, s + Duration::minutes(len))
                })
                .collect();
            let (dur, before, after, notice_h, advance_d, inc) = service;
            let service = ServiceRules {
                duration: Duration::minutes(dur),
                buffer_before: Duration::minutes(before),
                buffer_after: Duration::minutes(after),
                min_notice: Duration::hours(notice_h),
                max_advance: Duration::days(advance_d),
                increment: Duration::minutes(inc),
            };
            let range_start = base + Duration::seconds(range_s.0);
            let query = SlotQuery {
                zone,
                rules: &rules,
                busy: &busy,
                service,
                now: base + Duration::seconds(now_offset_s),
                range: Interval::new(range_start, range_start + Duration::seconds(range_s.1)),
            };
            prop_assert_eq!(free_slots(&query), reference_free_slots(&query));
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
    }

    fn rules(minutes: i64) -> ServiceRules {
        ServiceRules {
            duration: Duration::minutes(minutes),
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            min_notice: Duration::zero(),
            max_advance: Duration::days(365),
            increment: Duration::minutes(minutes),
        }
    }

    fn locals(zone: Tz, slots: &[Slot]) -> Vec<String> {
        slots
            .iter()
            .map(|s| s.start.with_timezone(&zone).format("%H:%M%:z").to_string())
            .collect()
    }

    #[test]
    fn a_plain_morning_in_hour_slots() {
        let zone: Tz = "Europe/Lisbon".parse().unwrap_or(Tz::UTC);
        let day = Interval::new(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z")); // a Monday
        let rule = [WeeklyRule {
            weekday: 1,
            start: hm(9, 0),
            end: hm(12, 0),
        }];
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &[],
            service: rules(60),
            now: utc("2026-11-01T00:00:00Z"),
            range: day,
        };
        assert_eq!(
            locals(zone, &free_slots(&q)),
            ["09:00+00:00", "10:00+00:00", "11:00+00:00"]
        );
    }

    #[test]
    fn spring_forward_in_lisbon_loses_the_missing_hour() {
        // 2026-03-29: at 01:00 clocks jump to 02:00.
        let zone: Tz = "Europe/Lisbon".parse().unwrap_or(Tz::UTC);
        let day = Interval::new(utc("2026-03-29T00:00:00Z"), utc("2026-03-30T00:00:00Z"));
        let rule = [WeeklyRule {
            weekday: 7,
            start: hm(0, 0),
            end: hm(3, 0),
        }];
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &[],
            service: rules(60),
            now: utc("2026-03-01T00:00:00Z"),
            range: day,
        };
        assert_eq!(
            locals(zone, &free_slots(&q)),
            ["00:00+00:00", "02:00+01:00"]
        );
    }

    #[test]
    fn fall_back_in_lisbon_offers_the_repeated_hour_twice() {
        // 2026-10-25: at 02:00 clocks go back to 01:00.
        let zone: Tz = "Europe/Lisbon".parse().unwrap_or(Tz::UTC);
        let day = Interval::new(utc("2026-10-24T23:00:00Z"), utc("2026-10-26T00:00:00Z"));
        let rule = [WeeklyRule {
            weekday: 7,
            start: hm(0, 0),
            end: hm(3, 0),
        }];
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &[],
            service: rules(60),
            now: utc("2026-10-01T00:00:00Z"),
            range: day,
        };
        assert_eq!(
            locals(zone, &free_slots(&q)),
            ["00:00+01:00", "01:00+01:00", "01:00+00:00", "02:00+00:00"]
        );
    }

    #[test]
    fn sao_paulo_2018_midnight_that_never_happened() {
        // 2018-11-04: midnight did not exist; the day started at 01:00 (-02:00).
        let zone: Tz = "America/Sao_Paulo".parse().unwrap_or(Tz::UTC);
        let day = Interval::new(utc("2018-11-04T03:00:00Z"), utc("2018-11-05T02:00:00Z"));
        let rule = [WeeklyRule {
            weekday: 7,
            start: hm(0, 0),
            end: hm(2, 0),
        }];
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &[],
            service: rules(60),
            now: utc("2018-10-01T00:00:00Z"),
            range: day,
        };
        assert_eq!(locals(zone, &free_slots(&q)), ["01:00-02:00"]);
        // And on 2019-02-17 (fall back), 23:00 happened twice.
        let day = Interval::new(utc("2019-02-16T02:00:00Z"), utc("2019-02-17T03:00:00Z"));
        let rule = [WeeklyRule {
            weekday: 6,
            start: hm(22, 0),
            end: hm(0, 0),
        }];
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &[],
            service: rules(60),
            now: utc("2019-01-01T00:00:00Z"),
            range: day,
        };
        assert_eq!(
            locals(zone, &free_slots(&q)),
            ["22:00-02:00", "23:00-02:00", "23:00-03:00"]
        );
    }

    #[test]
    fn buffers_of_existing_and_new_appointments_both_count() {
        let zone = Tz::UTC;
        let day = Interval::new(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z"));
        let rule = [WeeklyRule {
            weekday: 1,
            start: hm(9, 0),
            end: hm(13, 0),
        }];
        // Existing 10:00-11:00 with a 15 min buffer after: busy until 11:15.
        let busy = [Interval::new(
            utc("2026-11-23T10:00:00Z"),
            utc("2026-11-23T11:15:00Z"),
        )];
        let mut service = rules(60);
        service.increment = Duration::minutes(15);
        service.buffer_before = Duration::minutes(10);
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &busy,
            service,
            now: utc("2026-11-01T00:00:00Z"),
            range: day,
        };
        let starts = locals(zone, &free_slots(&q));
        // 09:00 ends at 10:00 (ok); 09:15 would overlap. After: 11:15 needs 11:05 free (busy) → 11:30 first.
        assert_eq!(
            starts,
            ["09:00+00:00", "11:30+00:00", "11:45+00:00", "12:00+00:00"]
        );
    }

    #[test]
    fn notice_and_advance_limits_apply() {
        let zone = Tz::UTC;
        let range = Interval::new(utc("2026-11-23T00:00:00Z"), utc("2026-12-31T00:00:00Z"));
        let rule = [WeeklyRule {
            weekday: 1,
            start: hm(9, 0),
            end: hm(11, 0),
        }];
        let mut service = rules(60);
        service.min_notice = Duration::hours(2);
        service.max_advance = Duration::days(8);
        let q = SlotQuery {
            zone,
            rules: &rule,
            busy: &[],
            service,
            now: utc("2026-11-23T08:30:00Z"),
            range,
        };
        let slots = free_slots(&q);
        // Today's 09:00 and 10:00 start before now + 2 h; the Monday after
        // next (Dec 7) is beyond 8 days.
        let starts: Vec<String> = slots.iter().map(|s| s.start.to_rfc3339()).collect();
        assert_eq!(
            starts,
            ["2026-11-30T09:00:00+00:00", "2026-11-30T10:00:00+00:00"]
        );
    }
}
