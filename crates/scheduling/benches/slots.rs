//! The slot engine on realistic months: weekday hours 09:00-12:00 and
//! 13:00-18:00 in Lisbon, a 45-minute service with 5 + 10 minutes of buffers,
//! 15-minute increments; 200 existing appointments over 31 days, and 500 busy
//! intervals over 30 days.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use trellis_scheduling::slots::{Interval, ServiceRules, SlotQuery, WeeklyRule, free_slots};

fn rules() -> Vec<WeeklyRule> {
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    (1..=5)
        .flat_map(|d| {
            [
                WeeklyRule {
                    weekday: d,
                    start: hm(9, 0),
                    end: hm(12, 0),
                },
                WeeklyRule {
                    weekday: d,
                    start: hm(13, 0),
                    end: hm(18, 0),
                },
            ]
        })
        .collect()
}

fn service() -> ServiceRules {
    ServiceRules {
        duration: Duration::minutes(45),
        buffer_before: Duration::minutes(5),
        buffer_after: Duration::minutes(10),
        min_notice: Duration::hours(1),
        max_advance: Duration::days(90),
        increment: Duration::minutes(15),
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn bench_case(c: &mut Criterion, name: &str, days: i64, busy: &[Interval]) {
    let zone: chrono_tz::Tz = "Europe/Lisbon".parse().unwrap_or(chrono_tz::Tz::UTC);
    let rules = rules();
    let start = start();
    let query = SlotQuery {
        zone,
        rules: &rules,
        busy,
        service: service(),
        now: start,
        range: Interval::new(start, start + Duration::days(days)),
    };
    c.bench_function(name, |b| b.iter(|| free_slots(black_box(&query))));
}

fn month(c: &mut Criterion) {
    let start = start();
    // One 45-minute appointment every 3 hours, in and out of working hours.
    let busy: Vec<Interval> = (0..200)
        .map(|i| {
            let s = start + Duration::hours(i64::from(i) * 3 + 9);
            Interval::new(s, s + Duration::minutes(45))
        })
        .collect();
    bench_case(c, "free_slots: 31 days, 200 appointments", 31, &busy);
}

fn busy_month(c: &mut Criterion) {
    let start = start();
    // 500 blocked hours (45 minutes plus buffers) every 86 minutes, given
    // in reverse order (the engine must not rely on sorted input).
    let busy: Vec<Interval> = (0..500)
        .rev()
        .map(|i| {
            let s = start + Duration::hours(8) + Duration::minutes(i64::from(i) * 86);
            Interval::new(s, s + Duration::minutes(60))
        })
        .collect();
    bench_case(
        c,
        "free_slots: 30 days, 15-minute increment, 500 busy intervals",
        30,
        &busy,
    );
}

criterion_group!(benches, month, busy_month);
criterion_main!(benches);
