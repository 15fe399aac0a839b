//! The slot engine on a realistic month: weekday hours 09:00-12:00 and
//! 13:00-18:00, 15-minute increments, 200 existing appointments.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use trellis_scheduling::slots::{Interval, ServiceRules, SlotQuery, WeeklyRule, free_slots};

fn month(c: &mut Criterion) {
    let zone: chrono_tz::Tz = "Europe/Lisbon".parse().unwrap_or(chrono_tz::Tz::UTC);
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    let rules: Vec<WeeklyRule> = (1..=5)
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
        .collect();
    let start = Utc
        .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let busy: Vec<Interval> = (0..200)
        .map(|i| {
            let s = start + Duration::hours(i64::from(i) * 3 + 9);
            Interval::new(s, s + Duration::minutes(45))
        })
        .collect();
    let service = ServiceRules {
        duration: Duration::minutes(45),
        buffer_before: Duration::minutes(5),
        buffer_after: Duration::minutes(10),
        min_notice: Duration::hours(1),
        max_advance: Duration::days(90),
        increment: Duration::minutes(15),
    };
    let query = SlotQuery {
        zone,
        rules: &rules,
        busy: &busy,
        service,
        now: start,
        range: Interval::new(start, start + Duration::days(31)),
    };
    c.bench_function("free_slots: 31 days, 200 appointments", |b| {
        b.iter(|| free_slots(black_box(&query)))
    });
}

criterion_group!(benches, month);
criterion_main!(benches);
