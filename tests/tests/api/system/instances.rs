//! Three gateways on one database, with and without a shared Redis: work
//! that must happen once happens once, whichever instance takes it. Fifty
//! bookings of one slot spread over the three give one appointment; a
//! hundred bookings are each confirmed by one email although three outbox
//! dispatchers claim from the same table; with all three reminder
//! schedulers racing, each of the hundred appointments is reminded once;
//! and when one gateway dies mid-load the other two carry on, and every
//! booking that was made, its answer received or not, is confirmed once.

use std::{collections::BTreeSet, path::PathBuf, sync::Arc};

use chrono::{TimeZone, Utc};
use futures_util::{StreamExt, future::join_all, stream};
use reqwest::Method;
use serde_json::json;
use trellis_kernel::{
    clock::ManualClock,
    testing::{TestBackend, backend, postgres_or_skip},
};
use trellis_tests::{TestApp, TestRedis, eventually, mail, send, unique_email};

use crate::scheduling::booking::{Pro, book, professional, slots};

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
    if !on_postgres("three_gateways_without_redis_do_each_piece_of_work_once") {
        return;
    }
    each_piece_of_work_is_done_once(&[]).await;
}

#[tokio::test]
async fn three_gateways_sharing_redis_do_each_piece_of_work_once() {
    let test = "three_gateways_sharing_redis_do_each_piece_of_work_once";
    if !on_postgres(test) {
        return;
    }
    let Some(redis) = TestRedis::for_test(test) else {
        return;
    };
    each_piece_of_work_is_done_once(&redis.overrides()).await;
}

/// Several gateways share a PostgreSQL server, never one SQLite file (its
/// writers would lock each other out): these tests run in the PostgreSQL
/// pass, and skip with a message in the SQLite one.
fn on_postgres(test: &str) -> bool {
    if postgres_or_skip(test).is_none() {
        return false;
    }
    let on_postgres = matches!(backend(), TestBackend::Postgres { .. });
    if !on_postgres {
        eprintln!("skipping {test} on SQLite: several gateways need PostgreSQL");
    }
    on_postgres
}

async fn each_piece_of_work_is_done_once(shared: &[(&str, &str)]) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 7, 0, 0).unwrap());
    let mut overrides = vec![("TRELLIS_RATE_LIMITS", "off"), ("CRON_SECRET", CRON_SECRET)];
    overrides.extend_from_slice(shared);
    let a = TestApp::spawn_with_clock(&overrides, Arc::new(clock.clone())).await;
    let (b, mut c) = (a.sibling().await, a.sibling().await);
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
    let count = |subject: &'static str, emails: &[String]| {
        let mail_dirs = &mail_dirs;
        let emails = emails.to_vec();
        move || {
            emails
                .iter()
                .map(|email| {
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
    let clients: Vec<String> = pros.iter().map(|(_, email)| email.clone()).collect();
    let confirmations = count("Confirmed:", &clients);
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
    let reminders = count("Reminder:", &clients);
    eventually("a reminder for every appointment", || {
        let seen = reminders();
        async move { (seen.iter().sum::<usize>() >= APPOINTMENTS).then_some(()) }
    })
    .await;

    // Nothing arrives twice, however long one waits for a late duplicate.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(confirmations(), per_client, "confirmations per client");
    assert_eq!(reminders(), per_client, "reminders per client");

    // Gateway C dies with bookings in flight; their answers are lost.
    let later: Vec<String> = pros.iter().map(|_| unique_email("later")).collect();
    let day_after = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let requests: Vec<_> = pros
        .iter()
        .zip(&later)
        .map(|((pro, _), email)| {
            let body = json!({"service_id": pro.service, "start_at": "2026-11-24T09:00:00Z",
                              "client": {"name": "Rui", "email": email}});
            c.post_json(&format!("/api/v1/booking/{}", pro.slug), &body)
        })
        .collect();
    let in_flight = join_all(requests.into_iter().map(|r| r.send()));
    let crash = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        c.crash().await;
    };
    let (answers, ()) = tokio::join!(in_flight, crash);
    let acknowledged = answers
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.status() == 201))
        .count();

    // The other two carry on.
    for (n, ((pro, _), email)) in pros.iter().zip(&later).enumerate() {
        let body = json!({"service_id": pro.service, "start_at": "2026-11-24T10:00:00Z",
                          "client": {"name": "Rui", "email": email}});
        let reply = book([&a, &b][n % 2], pro, &body).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    // Whatever C had claimed from the outbox is released when its claim
    // lapses; the survivors deliver it.
    clock.advance(chrono::Duration::minutes(5));

    // A booking C made shows as a taken 09:00, answered or not.
    let mut expected = Vec::new();
    for (pro, _) in &pros {
        let free = slots(&a, pro, day_after).await;
        let nine_taken = !free
            .iter()
            .any(|s| s["start_at"].as_str() == Some("2026-11-24T09:00:00Z"));
        expected.push(1 + usize::from(nine_taken));
    }
    let made_by_c = expected.iter().filter(|n| **n == 2).count();
    assert!(
        made_by_c >= acknowledged,
        "{acknowledged} acknowledged, {made_by_c} made"
    );
    let later_confirmations = count("Confirmed:", &later);
    let total: usize = expected.iter().sum();
    eventually("a confirmation for every booking made", || {
        let seen = later_confirmations();
        async move { (seen.iter().sum::<usize>() >= total).then_some(()) }
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(later_confirmations(), expected, "confirmations per client");
}
