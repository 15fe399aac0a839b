//! Properties of the slot engine over random schedules, in a zone with DST.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use proptest::prelude::*;
use trellis_scheduling::slots::{
    Interval, ServiceRules, SlotQuery, WeeklyRule, free_slots, windows,
};

fn rule() -> impl Strategy<Value = WeeklyRule> {
    (1u8..=7, 0u32..(24 * 4), 1u32..(12 * 4)).prop_map(|(weekday, start_q, len_q)| {
        let start = start_q * 15;
        let end = (start + len_q * 15).min(24 * 60 - 15);
        let t = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap();
        WeeklyRule {
            weekday,
            start: t(start.min(end.saturating_sub(15))),
            end: t(end),
        }
    })
}

fn service() -> impl Strategy<Value = ServiceRules> {
    (
        1i64..=16,
        0i64..=4,
        0i64..=4,
        0i64..=48,
        1i64..=60,
        1i64..=8,
    )
        .prop_map(
            |(dur, before, after, notice_h, advance_d, inc)| ServiceRules {
                duration: Duration::minutes(dur * 15),
                buffer_before: Duration::minutes(before * 5),
                buffer_after: Duration::minutes(after * 5),
                min_notice: Duration::hours(notice_h),
                max_advance: Duration::days(advance_d),
                increment: Duration::minutes(inc * 15),
            },
        )
}

fn busy() -> impl Strategy<Value = Vec<Interval>> {
    let base = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
    prop::collection::vec((0i64..(21 * 24 * 12), 1i64..(4 * 12)), 0..40).prop_map(move |v| {
        v.into_iter()
            .map(|(start, len)| {
                let s = base + Duration::minutes(start * 5);
                Interval::new(s, s + Duration::minutes(len * 5))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_slot_ever_overlaps_busy_time_and_all_fit_the_rules(
        rules in prop::collection::vec(rule(), 1..6),
        busy in busy(),
        service in service(),
        now_offset_h in 0i64..72,
    ) {
        // Three weeks around Lisbon's spring-forward (2026-03-29).
        let zone: chrono_tz::Tz = "Europe/Lisbon".parse().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
        let range = Interval::new(start, start + Duration::days(21));
        let now = start + Duration::hours(now_offset_h);
        let query = SlotQuery { zone, rules: &rules, busy: &busy, service, now, range };
        let slots = free_slots(&query);
        let windows = windows(zone, &rules, range);

        for pair in slots.windows(2) {
            prop_assert!(pair[0].start < pair[1].start, "sorted and unique");
        }
        for slot in &slots {
            let block = service.block(slot.start);
            prop_assert!(busy.iter().all(|b| !b.overlaps(&block)), "slot {slot:?} overlaps busy time");
            prop_assert!(windows.iter().any(|w| w.start <= slot.start && slot.end <= w.end), "slot {slot:?} outside availability");
            prop_assert!(slot.start >= now + service.min_notice && slot.start <= now + service.max_advance);
            prop_assert!(slot.start >= range.start && slot.start < range.end);
            prop_assert_eq!(slot.end - slot.start, service.duration);
        }
    }
}
