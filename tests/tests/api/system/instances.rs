//! Three gateways on one database, with and without a shared Redis: work
//! that must happen once happens once, whichever instance takes it. Fifty
//! bookings of one slot spread over the three give one appointment; a
//! hundred bookings are each confirmed by one email although three outbox
//! dispatchers claim from the same table; and with all three reminder
//! schedulers racing, each of the hundred appointments is reminded once.

use std::{collections::BTreeSet, path::PathBuf, sync::Arc};

use chrono::{TimeZone, Utc};
use futures_util::{StreamExt, future::join_all, stream};
use reqwest::Method;
use serde_json::json;
use trellis_kernel::clock::ManualClock;
use trellis_tests::{TestApp, TestRedis, eventually, mail, send, unique_email};

use crate::scheduling::booking::{Pro, book, professional};

const CRON_SECRET: &str = "0123456789abcdef-cron-secret";

/// Appointments booked for tomorrow, and so reminded.
const APPOINTMENTS: usize = 100;
/// One professional's free hours in a day (09:00 to 16:00).
const SLOTS_PER_DAY: usize = 8;
/// Requests in flight at once while setting up: spread over the instances,
/// not a load test (the fifty-way race is the concurrent part).
const IN_FLIGHT: usize = 12;

#[tokio::test]
async fn three_gateways_without_redis_do_each_piece_of_work_once() {
    each_piece_of_work_is_done_once(&[]).await;
}

#[tokio::test]
async fn three_gateways_sharing_redis_do_each_piece_of_work_once() {
    let Some(redis) =
        TestRedis::for_test("three_gateways_sharing_redis_do_each_piece_of_work_once")
    else {
        return;
    };
    each_piece_of_work_is_done_once(&redis.overrides()).await;
}

async fn each_piece_of_work_is_done_once(shared: &[(&str, &str)]) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 7, 0, 0).unwrap());
    let mut overrides = vec![("TRELLIS_RATE_LIMITS", "off"), ("CRON_SECRET", CRON_SECRET)];
    overrides.extend_from_slice(shared);
    let a = TestApp::spawn_with_clock(&overrides, Arc::new(clock)).await;
    let (b, c) = (a.sibling().await, a.sibling().await);
    let gateways = [&a, &b, &c];

    // Fifty clients race for one slot through all three: one wins.
    let contested = professional(&a, "UTC").await;
    let attempts = (0..50).map(|n| {
        let body = json!({"service_id": contested.service, "start_at": "2026-11-25T10:00:00Z",
                          "client": {"name": format!("Racer {n}"), "email": unique_email("racer")}});
        let gateway = gateways[n % 3];
        let contested = &contested;
        async move { book(gateway, contested, &body).await }
    });
    let replies = join_all(attempts).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    for lost in replies.iter().filter(|r| r.status != 201) {
        lost.assert_problem(409, "appointment.slot_taken");
    }

    // A hundred appointments tomorrow, booked over the three gateways; each
    // professional's client has one address, so mail is counted by it.
    let pros: Vec<(Pro, String)> = stream::iter(0..APPOINTMENTS.div_ceil(SLOTS_PER_DAY))
        .map(|n| {
            let gateway = gateways[n % 3];
            async move { (professional(gateway, "UTC").await, unique_email("client")) }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    let bookings = (0..APPOINTMENTS).map(|n| {
        let (pro, email) = &pros[n / SLOTS_PER_DAY];
        let hour = 9 + n % SLOTS_PER_DAY;
        let body = json!({"service_id": pro.service, "start_at": format!("2026-11-23T{hour:02}:00:00Z"),
                          "client": {"name": "Lia", "email": email}});
        let gateway = gateways[n % 3];
        async move { book(gateway, pro, &body).await }
    });
    let booked: Vec<_> = stream::iter(bookings)
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    for reply in booked {
        assert_eq!(reply.status, 201, "{}", reply.text);
    }

    // Every booking is confirmed by exactly one email.
    let mail_dirs: BTreeSet<PathBuf> = gateways.iter().map(|g| g.mail_dir.clone()).collect();
    let count = |subject: &'static str| {
        let mail_dirs = &mail_dirs;
        let pros = &pros;
        move || {
            pros.iter()
                .map(|(_, email)| {
                    mail_dirs
                        .iter()
                        .flat_map(|dir| mail::mails_to(dir, email))
                        .filter(|m| m.subject.starts_with(subject))
                        .count()
                })
                .collect::<Vec<_>>()
        }
    };
    let per_client: Vec<usize> = (0..pros.len())
        .map(|i| (APPOINTMENTS - i * SLOTS_PER_DAY).min(SLOTS_PER_DAY))
        .collect();
    let confirmations = count("Confirmed:");
    eventually("a confirmation for every booking", || {
        let seen = confirmations();
        async move { (seen.iter().sum::<usize>() >= APPOINTMENTS).then_some(()) }
    })
    .await;

    // All three reminder jobs at once: one takes the run.
    let run = |gateway: &TestApp| {
        send(
            gateway
                .internal(Method::POST, "/internal/cron/reminders")
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    let (ra, rb, rc) = tokio::join!(run(&a), run(&b), run(&c));
    let queued: u64 = [&ra, &rb, &rc]
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["report"]["queued"].as_u64().unwrap_or(0)
        })
        .sum();
    assert_eq!(queued, APPOINTMENTS as u64);
    let reminders = count("Reminder:");
    eventually("a reminder for every appointment", || {
        let seen = reminders();
        async move { (seen.iter().sum::<usize>() >= APPOINTMENTS).then_some(()) }
    })
    .await;

    // Nothing arrives twice, however long one waits for a late duplicate.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(confirmations(), per_client, "confirmations per client");
    assert_eq!(reminders(), per_client, "reminders per client");
}
