//! Scheduling end to end: setup, slots, bookings that never double-book,
//! idempotent replays, appointments and their state machine.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{PASSWORD, Reply, TestApp, send, unique_email};

/// A professional with a 60-minute service and hours 09:00-17:00 every day.
/// A professional open 09:00-17:00 every day, with a 60-minute service.
pub(crate) struct Pro {
    pub(crate) token: String,
    pub(crate) slug: String,
    pub(crate) service: String,
    /// The organization created with the professional.
    pub(crate) org: String,
}

pub(crate) async fn professional(app: &TestApp, zone: &str) -> Pro {
    let email = unique_email("pro");
    let token = app.access_token(&email).await;
    let slug = format!("pro-{}", uuid::Uuid::now_v7().simple());
    let created = send(
        app.authed(Method::POST, "/api/v1/professionals", &token)
            .json(&json!({"slug": slug, "name": "Ana Lima", "time_zone": zone, "bio": "Hair"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let service = send(
        app.authed(Method::POST, "/api/v1/professionals/me/services", &token)
            .json(&json!({
                "name": "Cut", "duration_minutes": 60, "price_minor": 3500, "currency": "eur",
                "min_notice_minutes": 0, "max_advance_days": 730, "cancellation_notice_minutes": 120
            })),
    )
    .await;
    assert_eq!(service.status, 201, "{}", service.text);
    let rules: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"}))
        .collect();
    let hours = send(
        app.authed(Method::PUT, "/api/v1/professionals/me/availability", &token)
            .json(&json!({"rules": rules})),
    )
    .await;
    assert_eq!(hours.status, 200, "{}", hours.text);
    Pro {
        token,
        slug,
        service: service.body["id"].as_str().unwrap().to_string(),
        org: created.body["org_id"].as_str().unwrap().to_string(),
    }
}

fn day(offset: i64) -> NaiveDate {
    (Utc::now() + Duration::days(offset)).date_naive()
}

pub(crate) async fn slots(app: &TestApp, pro: &Pro, date: NaiveDate) -> Vec<Value> {
    let reply = send(app.get(&format!(
        "/api/v1/booking/{}/slots?service_id={}&from={date}&to={date}",
        pro.slug, pro.service
    )))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["slots"].as_array().cloned().unwrap_or_default()
}

fn booking(pro: &Pro, start: &Value, who: &str) -> Value {
    json!({"service_id": pro.service, "start_at": start, "client": {"name": who, "email": format!("{who}@example.com")}})
}

pub(crate) async fn book(app: &TestApp, pro: &Pro, body: &Value) -> Reply {
    send(app.post_json(&format!("/api/v1/booking/{}", pro.slug), body)).await
}

#[tokio::test]
async fn booking_a_slot_takes_it_off_the_list() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let free = slots(&app, &pro, day(3)).await;
    assert_eq!(free.len(), 8, "09:00 to 16:00");
    assert_eq!(
        free[0]["local_start"].as_str().unwrap()[11..],
        *"09:00+00:00"
    );

    let booked = book(&app, &pro, &booking(&pro, &free[2]["start_at"], "maria")).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    assert_eq!(booked.body["status"], "confirmed");
    assert_eq!(booked.body["price_minor"], 3500);
    assert_eq!(booked.body["currency"], "EUR");
    let after = slots(&app, &pro, day(3)).await;
    assert_eq!(after.len(), 7);
    assert!(after.iter().all(|s| s["start_at"] != free[2]["start_at"]));

    let again = book(&app, &pro, &booking(&pro, &free[2]["start_at"], "joao")).await;
    again.assert_problem(409, "appointment.slot_taken");
    let odd = book(
        &app,
        &pro,
        &booking(&pro, &json!(format!("{}T09:30:00Z", day(3))), "joao"),
    )
    .await;
    odd.assert_problem(422, "appointment.slot_unavailable");
    let nobody = book(&app, &pro, &json!({"service_id": pro.service, "start_at": free[3]["start_at"], "client": {"name": "X"}})).await;
    nobody.assert_problem(422, "request.validation_failed");
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_slot_make_exactly_one_appointment() {
    let app = std::sync::Arc::new(
        TestApp::spawn_with(&[
            ("TRELLIS_RATE_LIMITS", "off"),
            ("TRELLIS_DB_MAX_CONNECTIONS", "32"),
        ])
        .await,
    );
    let pro = professional(&app, "UTC").await;
    let slot = slots(&app, &pro, day(5)).await[0]["start_at"].clone();
    let path = format!("/api/v1/booking/{}", pro.slug);
    let attempts: Vec<_> = (0..50)
        .map(|i| {
            let (app, path, body) = (
                app.clone(),
                path.clone(),
                booking(&pro, &slot, &format!("client{i}")),
            );
            tokio::spawn(async move { send(app.post_json(&path, &body)).await })
        })
        .collect();
    let mut created = 0;
    let mut taken = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        match reply.status {
            201 => created += 1,
            409 if reply.body["code"] == "appointment.slot_taken" => taken += 1,
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert_eq!((created, taken), (1, 49));
    let list = send(app.authed(Method::GET, "/api/v1/appointments", &pro.token)).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let free = slots(&app, &pro, day(4)).await;
    let body = booking(&pro, &free[0]["start_at"], "retry");
    let path = format!("/api/v1/booking/{}", pro.slug);
    let first = send(
        app.post_json(&path, &body)
            .header("Idempotency-Key", "abc-123"),
    )
    .await;
    let second = send(
        app.post_json(&path, &body)
            .header("Idempotency-Key", "abc-123"),
    )
    .await;
    assert_eq!((first.status, second.status), (201, 201), "{}", second.text);
    assert_eq!(first.body["id"], second.body["id"]);
    let other = send(
        app.post_json(&path, &booking(&pro, &free[1]["start_at"], "retry"))
            .header("Idempotency-Key", "abc-123"),
    )
    .await;
    other.assert_problem(422, "idempotency.key_reused");
    let list = send(app.authed(Method::GET, "/api/v1/appointments", &pro.token)).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn appointments_follow_the_state_machine_and_reschedule() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let client = send(
        app.authed(Method::POST, "/api/v1/professionals/me/clients", &pro.token)
            .json(&json!({"name": "Rui", "phone": "+351 912 000 001"})),
    )
    .await;
    assert_eq!(client.status, 201, "{}", client.text);
    let client_id = client.body["id"].clone();
    let at = |h: u32| json!(format!("{}T{h:02}:00:00Z", day(6)));
    let create = |start: Value| {
        app.authed(Method::POST, "/api/v1/appointments", &pro.token)
            .json(&json!({"service_id": pro.service, "client_id": client_id, "start_at": start}))
    };

    // The professional may book outside working hours, never over another appointment.
    let early = send(create(at(7))).await;
    assert_eq!(early.status, 201, "{}", early.text);
    let ten = send(create(at(10))).await;
    assert_eq!(ten.status, 201);
    send(create(json!(format!("{}T10:30:00Z", day(6)))))
        .await
        .assert_problem(409, "appointment.slot_taken");

    let id = ten.body["id"].as_str().unwrap();
    let status = |s: &str| {
        app.authed(
            Method::POST,
            &format!("/api/v1/appointments/{id}/status"),
            &pro.token,
        )
        .json(&json!({"status": s}))
    };
    // Reschedule into a taken slot: 409; into a free one: a new linked appointment.
    let moved_bad = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/appointments/{id}/reschedule"),
            &pro.token,
        )
        .json(&json!({"start_at": at(7)})),
    )
    .await;
    moved_bad.assert_problem(409, "appointment.slot_taken");
    let moved = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/appointments/{id}/reschedule"),
            &pro.token,
        )
        .json(&json!({"start_at": at(13)})),
    )
    .await;
    assert_eq!(moved.status, 201, "{}", moved.text);
    assert_eq!(moved.body["rescheduled_from"], id);
    let old = send(app.authed(
        Method::GET,
        &format!("/api/v1/appointments/{id}"),
        &pro.token,
    ))
    .await;
    assert_eq!(old.body["status"], "rescheduled");
    send(status("completed"))
        .await
        .assert_problem(409, "appointment.invalid_transition");
    // The old time is free again.
    assert_eq!(send(create(at(10))).await.status, 201);

    let new_id = moved.body["id"].as_str().unwrap();
    let change = |s: &str| {
        app.authed(
            Method::POST,
            &format!("/api/v1/appointments/{new_id}/status"),
            &pro.token,
        )
        .json(&json!({"status": s, "reason": "sick"}))
    };
    assert_eq!(send(change("completed")).await.body["status"], "completed");
    send(change("cancelled"))
        .await
        .assert_problem(409, "appointment.invalid_transition");
    send(change("confirmed"))
        .await
        .assert_problem(409, "appointment.invalid_transition");

    let filtered = send(app.authed(
        Method::GET,
        &format!(
            "/api/v1/appointments?status=completed&client_id={}",
            client_id.as_str().unwrap()
        ),
        &pro.token,
    ))
    .await;
    assert_eq!(filtered.body["items"].as_array().map(Vec::len), Some(1));
    let paged = send(app.authed(Method::GET, "/api/v1/appointments?limit=2", &pro.token)).await;
    assert_eq!(paged.body["items"].as_array().map(Vec::len), Some(2));
    let next = paged.body["next_cursor"].as_str().unwrap();
    let rest = send(app.authed(
        Method::GET,
        &format!("/api/v1/appointments?limit=2&cursor={next}"),
        &pro.token,
    ))
    .await;
    assert_eq!(rest.body["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn professionals_cannot_see_each_others_data() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let (a, b) = (
        professional(&app, "UTC").await,
        professional(&app, "UTC").await,
    );
    let free = slots(&app, &a, day(3)).await;
    let booked = book(&app, &a, &booking(&a, &free[0]["start_at"], "ines")).await;
    let id = booked.body["id"].as_str().unwrap();
    let client = booked.body["client_id"].as_str().unwrap();
    send(app.authed(Method::GET, &format!("/api/v1/appointments/{id}"), &b.token))
        .await
        .assert_problem(404, "appointment.not_found");
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/appointments/{id}/status"),
            &b.token,
        )
        .json(&json!({"status": "cancelled"})),
    )
    .await
    .assert_problem(404, "appointment.not_found");
    send(app.authed(
        Method::GET,
        &format!("/api/v1/professionals/me/clients/{client}"),
        &b.token,
    ))
    .await
    .assert_problem(404, "client.not_found");
    let b_services = send(
        app.authed(
            Method::PATCH,
            &format!("/api/v1/professionals/me/services/{}", a.service),
            &b.token,
        )
        .json(&json!({"price_minor": 1})),
    )
    .await;
    b_services.assert_problem(404, "service.not_found");
    // A signed-in user without a profile gets 404 on professional routes.
    let nobody = app.access_token(&unique_email("nobody")).await;
    send(app.authed(Method::GET, "/api/v1/appointments", &nobody))
        .await
        .assert_problem(404, "professional.not_found");
}

#[tokio::test]
async fn profiles_have_unique_unreserved_slugs_and_a_personal_org() {
    let app = TestApp::spawn().await;
    let token = app.access_token(&unique_email("slug")).await;
    let create = |slug: &str, tz: &str| {
        app.authed(Method::POST, "/api/v1/professionals", &token)
            .json(&json!({"slug": slug, "name": "N", "time_zone": tz}))
    };
    let reserved = send(create("me", "UTC")).await;
    reserved.assert_problem(422, "request.validation_failed");
    let bad_zone = send(create("good-slug", "Mars/Base")).await;
    assert_eq!(bad_zone.body["errors"][0]["field"], "time_zone");
    let ok = send(create("my-studio-x1", "Europe/Lisbon")).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    // The personal organization was created with the caller as owner.
    let orgs = send(app.authed(Method::GET, "/api/v1/orgs", &token)).await;
    assert_eq!(orgs.body["items"][0]["role"], "owner");
    assert_eq!(orgs.body["items"][0]["id"], ok.body["org_id"]);
    send(create("another-slug", "UTC"))
        .await
        .assert_problem(409, "professional.exists");
    let other = app.access_token(&unique_email("slug2")).await;
    let taken = send(
        app.authed(Method::POST, "/api/v1/professionals", &other)
            .json(&json!({"slug": "my-studio-x1", "name": "N", "time_zone": "UTC"})),
    )
    .await;
    taken.assert_problem(409, "professional.slug_taken");
    let public = send(app.get("/api/v1/professionals/my-studio-x1")).await;
    assert_eq!(public.body["time_zone"], "Europe/Lisbon");
    send(app.get("/api/v1/professionals/nobody-here"))
        .await
        .assert_problem(404, "professional.not_found");
}

#[tokio::test]
async fn slots_follow_daylight_saving_changes_in_lisbon() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "Europe/Lisbon").await;
    let sunday_night = json!({"rules": [{"weekday": 7, "start": "00:00", "end": "03:00"}]});
    send(
        app.authed(
            Method::PUT,
            "/api/v1/professionals/me/availability",
            &pro.token,
        )
        .json(&sunday_night),
    )
    .await;
    let local = |date: &str| {
        let app = &app;
        let pro = &pro;
        let date = date.to_string();
        async move {
            let reply = send(app.get(&format!(
                "/api/v1/booking/{}/slots?service_id={}&from={date}&to={date}&tz=Europe/Lisbon",
                pro.slug, pro.service
            )))
            .await;
            reply.body["slots"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["local_start"].as_str().unwrap()[11..].to_string())
                .collect::<Vec<_>>()
        }
    };
    // 2027-03-28: clocks jump from 01:00 to 02:00.
    assert_eq!(local("2027-03-28").await, ["00:00+00:00", "02:00+01:00"]);
    // 2027-10-31: 01:00-02:00 happens twice.
    assert_eq!(
        local("2027-10-31").await,
        ["00:00+01:00", "01:00+01:00", "01:00+00:00", "02:00+00:00"]
    );
}

#[tokio::test]
async fn clients_are_searchable_and_carry_notes() {
    let app = TestApp::spawn().await;
    let pro = professional(&app, "UTC").await;
    let add = |body: Value| {
        app.authed(Method::POST, "/api/v1/professionals/me/clients", &pro.token)
            .json(&body)
    };
    let maria = send(add(
        json!({"name": "Maria Silva", "phone": "+55 11 98765-4321", "email": "Maria@Example.com"}),
    ))
    .await;
    assert_eq!(maria.status, 201, "{}", maria.text);
    assert_eq!(maria.body["phone"], "+5511987654321");
    assert_eq!(maria.body["email"], "maria@example.com");
    send(add(json!({"name": "Dup", "phone": "+5511987654321"})))
        .await
        .assert_problem(409, "client.exists");
    send(add(json!({"name": "Bad", "phone": "12"})))
        .await
        .assert_problem(422, "request.validation_failed");
    send(add(
        json!({"name": "Joao Souza", "email": "joao@example.com"}),
    ))
    .await;

    let search = |q: &str| {
        app.authed(
            Method::GET,
            &format!("/api/v1/professionals/me/clients?q={q}"),
            &pro.token,
        )
    };
    let names = |r: Reply| {
        r.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(send(search("silva")).await), ["Maria Silva"]);
    assert_eq!(names(send(search("98765")).await), ["Maria Silva"]);
    assert_eq!(names(send(search("JOAO@")).await), ["Joao Souza"]);

    let id = maria.body["id"].as_str().unwrap();
    let note = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/professionals/me/clients/{id}/notes"),
            &pro.token,
        )
        .json(&json!({"body": "Prefers mornings"})),
    )
    .await;
    assert_eq!(note.status, 201);
    let notes = send(app.authed(
        Method::GET,
        &format!("/api/v1/professionals/me/clients/{id}/notes"),
        &pro.token,
    ))
    .await;
    assert_eq!(notes.body[0]["body"], "Prefers mornings");
    let patched = send(
        app.authed(
            Method::PATCH,
            &format!("/api/v1/professionals/me/clients/{id}"),
            &pro.token,
        )
        .json(&json!({"email": null})),
    )
    .await;
    assert!(patched.body.get("email").is_none(), "{}", patched.text);
    assert_eq!(
        send(app.authed(
            Method::DELETE,
            &format!("/api/v1/professionals/me/clients/{id}"),
            &pro.token
        ))
        .await
        .status,
        204
    );
    send(app.authed(
        Method::GET,
        &format!("/api/v1/professionals/me/clients/{id}"),
        &pro.token,
    ))
    .await
    .assert_problem(404, "client.not_found");
}

#[tokio::test]
async fn signed_in_clients_see_and_cancel_their_own_appointments() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let email = unique_email("customer");
    let me = app.register(&email, PASSWORD).await;
    let token = me["access_token"].as_str().unwrap();
    let free = slots(&app, &pro, day(3)).await;
    let body = json!({"service_id": pro.service, "start_at": free[0]["start_at"], "client": {"name": "Me", "email": email}});
    let booked = send(
        app.post_json(&format!("/api/v1/booking/{}", pro.slug), &body)
            .bearer_auth(token),
    )
    .await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let mine = send(app.authed(Method::GET, "/api/v1/users/me/appointments", token)).await;
    assert_eq!(mine.body["items"][0]["id"], booked.body["id"]);
    let id = booked.body["id"].as_str().unwrap();
    assert_eq!(
        send(app.authed(Method::GET, &format!("/api/v1/appointments/{id}"), token))
            .await
            .status,
        200
    );
    let cancelled = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/users/me/appointments/{id}/cancel"),
            token,
        )
        .json(&json!({"reason": "travel"})),
    )
    .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    assert_eq!(cancelled.body["cancel_reason"], "travel");
    // Someone else cannot cancel it.
    let stranger = app.access_token(&unique_email("stranger")).await;
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/users/me/appointments/{id}/cancel"),
            &stranger,
        )
        .json(&json!({})),
    )
    .await
    .assert_problem(404, "appointment.not_found");
    // The booking confirmation went out by email.
    app.mail(&email, "Confirmed:").await;
}

const CRON_SECRET: &str = "0123456789abcdef-cron-secret";

#[tokio::test]
async fn reminders_go_out_exactly_once_even_when_the_job_runs_twice_at_once() {
    use chrono::TimeZone;
    let clock = trellis_kernel::clock::ManualClock::at(
        Utc.with_ymd_and_hms(2026, 11, 22, 7, 0, 0).unwrap(),
    );
    let app = TestApp::spawn_with_clock(
        &[("TRELLIS_RATE_LIMITS", "off"), ("CRON_SECRET", CRON_SECRET)],
        std::sync::Arc::new(clock.clone()),
    )
    .await;
    let pro = professional(&app, "UTC").await;
    let email = unique_email("remind");
    for start in ["2026-11-23T10:00:00Z", "2026-11-24T10:00:00Z"] {
        let body = json!({"service_id": pro.service, "start_at": start, "client": {"name": "Lia", "email": email}});
        assert_eq!(book(&app, &pro, &body).await.status, 201);
    }
    let run = || {
        send(
            app.internal(Method::POST, "/internal/cron/reminders")
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    let (a, b) = tokio::join!(run(), run());
    assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.text, b.text);
    // A run that found the lease taken did nothing and reports nothing.
    let queued_by = |r: &Reply| r.body["report"]["queued"].as_u64().unwrap_or(0);
    let queued = queued_by(&a) + queued_by(&b);
    assert_eq!(
        queued, 1,
        "only tomorrow's appointment, once: {} / {}",
        a.text, b.text
    );
    let ran = if a.body["ran"] == true { &a } else { &b };
    let window_start =
        chrono::DateTime::parse_from_rfc3339(ran.body["report"]["window_start"].as_str().unwrap())
            .unwrap();
    assert_eq!(
        window_start,
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    );
    let third = run().await;
    assert_eq!(third.body["report"]["queued"], 0);

    app.mail(&email, "Reminder:").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let reminders = trellis_tests::mail::mails_to(&app.mail_dir, &email)
        .into_iter()
        .filter(|m| m.subject.starts_with("Reminder:"))
        .count();
    assert_eq!(reminders, 1);

    // A day later, the next appointment is due, once.
    clock.advance(Duration::days(1));
    assert_eq!(run().await.body["report"]["queued"], 1);

    let wrong = send(
        app.internal(Method::POST, "/internal/cron/reminders")
            .header("x-cron-secret", "nope"),
    )
    .await;
    wrong.assert_problem(401, "cron.invalid_secret");
    let bearer = send(
        app.internal(Method::POST, "/internal/cron/reminders")
            .bearer_auth(CRON_SECRET),
    )
    .await;
    assert_eq!(bearer.status, 200, "{}", bearer.text);
}

#[tokio::test]
async fn cron_triggers_are_absent_without_a_secret() {
    let app = TestApp::spawn().await;
    let reply = send(
        app.internal(Method::POST, "/internal/cron/reminders")
            .header("x-cron-secret", CRON_SECRET),
    )
    .await;
    reply.assert_problem(404, "cron.disabled");
}

#[tokio::test]
async fn follows_reviews_and_the_public_rating() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let email = unique_email("fan");
    let fan = app.register(&email, PASSWORD).await;
    let token = fan["access_token"].as_str().unwrap();

    let follow = |m: Method| {
        app.authed(
            m,
            &format!("/api/v1/professionals/{}/follow", pro.slug),
            token,
        )
    };
    assert_eq!(send(follow(Method::POST)).await.status, 204);
    assert_eq!(
        send(follow(Method::POST)).await.status,
        204,
        "following twice is harmless"
    );
    let following = send(app.authed(Method::GET, "/api/v1/users/me/following", token)).await;
    assert_eq!(following.body["items"][0]["slug"], pro.slug.as_str());

    // Book as the fan, complete it, then review it.
    let free = slots(&app, &pro, day(2)).await;
    let body = json!({"service_id": pro.service, "start_at": free[0]["start_at"], "client": {"name": "Fan", "email": email}});
    let booked = send(
        app.post_json(&format!("/api/v1/booking/{}", pro.slug), &body)
            .bearer_auth(token),
    )
    .await;
    let id = booked.body["id"].as_str().unwrap().to_string();
    let review = |rating: i64| {
        app.authed(
            Method::POST,
            &format!("/api/v1/professionals/{}/reviews", pro.slug),
            token,
        )
        .json(&json!({"appointment_id": id, "rating": rating, "text": "Great"}))
    };
    send(review(5))
        .await
        .assert_problem(403, "review.not_allowed");
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/appointments/{id}/status"),
            &pro.token,
        )
        .json(&json!({"status": "completed"})),
    )
    .await;
    send(review(9))
        .await
        .assert_problem(422, "request.validation_failed");
    let stranger = app.access_token(&unique_email("stranger")).await;
    send(
        app.authed(
            Method::POST,
            &format!("/api/v1/professionals/{}/reviews", pro.slug),
            &stranger,
        )
        .json(&json!({"appointment_id": id, "rating": 1})),
    )
    .await
    .assert_problem(404, "appointment.not_found");
    assert_eq!(send(review(4)).await.status, 201);
    send(review(5)).await.assert_problem(409, "review.exists");

    let public = send(app.get(&format!("/api/v1/professionals/{}", pro.slug))).await;
    assert_eq!(public.body["rating_average"], 4.0);
    assert_eq!(public.body["rating_count"], 1);
    assert_eq!(public.body["follower_count"], 1);
    assert_eq!(public.body["services"][0]["name"], "Cut");
    let reviews = send(app.get(&format!("/api/v1/professionals/{}/reviews", pro.slug))).await;
    assert_eq!(reviews.body["items"][0]["rating"], 4);

    assert_eq!(send(follow(Method::DELETE)).await.status, 204);
    let public = send(app.get(&format!("/api/v1/professionals/{}", pro.slug))).await;
    assert_eq!(public.body["follower_count"], 0);
}

#[tokio::test]
async fn revenue_sums_completed_appointments_by_local_period() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "America/Sao_Paulo").await;
    let client = send(
        app.authed(Method::POST, "/api/v1/professionals/me/clients", &pro.token)
            .json(&json!({"name": "Rui", "phone": "+5511900000001"})),
    )
    .await;
    let create = |start: String| {
        app.authed(Method::POST, "/api/v1/appointments", &pro.token).json(&json!({"service_id": pro.service, "client_id": client.body["id"], "start_at": start}))
    };
    // 01:30 UTC on day D+10 is 22:30 of D+9 in São Paulo: it counts for the local day before.
    let d = day(10);
    let ids: Vec<String> = futures_util::future::join_all(
        [
            create(format!("{d}T01:30:00Z")),
            create(format!("{d}T14:00:00Z")),
            create(format!("{d}T16:00:00Z")),
        ]
        .into_iter()
        .map(send),
    )
    .await
    .into_iter()
    .map(|r| r.body["id"].as_str().unwrap().to_string())
    .collect();
    for id in &ids[..2] {
        send(
            app.authed(
                Method::POST,
                &format!("/api/v1/appointments/{id}/status"),
                &pro.token,
            )
            .json(&json!({"status": "completed"})),
        )
        .await;
    }
    let path = |group: &str| {
        format!(
            "/api/v1/professionals/me/revenue?from={}&to={}&group={group}",
            d - Duration::days(1),
            d
        )
    };
    let daily = send(app.authed(Method::GET, &path("day"), &pro.token)).await;
    assert_eq!(daily.status, 200, "{}", daily.text);
    assert_eq!(daily.body["time_zone"], "America/Sao_Paulo");
    assert_eq!(
        daily.body["periods"],
        json!([
            {"period": (d - Duration::days(1)).to_string(), "currency": "EUR", "appointments": 1, "total_minor": 3500},
            {"period": d.to_string(), "currency": "EUR", "appointments": 1, "total_minor": 3500},
        ])
    );
    let monthly = send(app.authed(Method::GET, &path("month"), &pro.token)).await;
    let total: i64 = monthly.body["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 7000);
    let backwards = send(app.authed(
        Method::GET,
        &format!(
            "/api/v1/professionals/me/revenue?from={d}&to={}",
            d - Duration::days(1)
        ),
        &pro.token,
    ))
    .await;
    backwards.assert_problem(422, "request.validation_failed");
}

#[tokio::test]
async fn time_off_and_service_changes_shape_the_slots() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let d = day(7);
    let off = send(
        app.authed(Method::POST, "/api/v1/professionals/me/time-off", &pro.token)
            .json(&json!({"start_at": format!("{d}T09:00:00Z"), "end_at": format!("{d}T13:00:00Z"), "reason": "Dentist"})),
    )
    .await;
    assert_eq!(off.status, 201, "{}", off.text);
    assert_eq!(slots(&app, &pro, d).await.len(), 4, "13:00 to 16:00 remain");
    let listed =
        send(app.authed(Method::GET, "/api/v1/professionals/me/time-off", &pro.token)).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    let bad = send(
        app.authed(
            Method::POST,
            "/api/v1/professionals/me/time-off",
            &pro.token,
        )
        .json(&json!({"start_at": format!("{d}T13:00:00Z"), "end_at": format!("{d}T09:00:00Z")})),
    )
    .await;
    bad.assert_problem(422, "request.validation_failed");
    let id = off.body["id"].as_str().unwrap();
    assert_eq!(
        send(app.authed(
            Method::DELETE,
            &format!("/api/v1/professionals/me/time-off/{id}"),
            &pro.token
        ))
        .await
        .status,
        204
    );
    assert_eq!(slots(&app, &pro, d).await.len(), 8);

    // A 30-minute increment doubles the offered start times; deactivating hides the service.
    let service = format!("/api/v1/professionals/me/services/{}", pro.service);
    let patched = send(
        app.authed(Method::PATCH, &service, &pro.token)
            .json(&json!({"slot_increment_minutes": 30, "price_minor": 4000})),
    )
    .await;
    assert_eq!(patched.body["price_minor"], 4000);
    assert_eq!(slots(&app, &pro, d).await.len(), 15);
    send(
        app.authed(Method::PATCH, &service, &pro.token)
            .json(&json!({"duration_minutes": 2})),
    )
    .await
    .assert_problem(422, "request.validation_failed");
    assert_eq!(
        send(app.authed(Method::DELETE, &service, &pro.token))
            .await
            .status,
        204
    );
    let gone = send(app.get(&format!(
        "/api/v1/booking/{}/slots?service_id={}&from={d}&to={d}",
        pro.slug, pro.service
    )))
    .await;
    gone.assert_problem(404, "service.not_found");
    let too_long = send(app.get(&format!(
        "/api/v1/booking/{}/slots?service_id={}&from={d}&to={}",
        pro.slug,
        pro.service,
        d + Duration::days(90)
    )))
    .await;
    too_long.assert_problem(422, "request.validation_failed");
    assert_eq!(too_long.body["errors"][0]["field"], "to");
    let overlapping = send(
        app.authed(Method::PUT, "/api/v1/professionals/me/availability", &pro.token)
            .json(&json!({"rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "13:00"}]})),
    )
    .await;
    overlapping.assert_problem(422, "request.validation_failed");
    assert_eq!(overlapping.body["errors"][0]["field"], "rules[1]");
}

#[tokio::test]
async fn recurring_schedules_book_ahead_skip_conflicts_and_cancel_the_future() {
    use chrono::Datelike;
    let app =
        TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off"), ("CRON_SECRET", CRON_SECRET)]).await;
    let pro = professional(&app, "UTC").await;
    let client = send(
        app.authed(Method::POST, "/api/v1/professionals/me/clients", &pro.token)
            .json(&json!({"name": "Ana", "email": "ana.rec@example.com"})),
    )
    .await;
    let client_id = client.body["id"].clone();
    let first = day(2);
    let weekday = first.weekday().number_from_monday();
    // Someone already holds the second occurrence's time.
    let second = first + Duration::weeks(1);
    let taken = send(app.authed(Method::POST, "/api/v1/appointments", &pro.token).json(&json!({
        "service_id": pro.service, "client_id": client_id, "start_at": format!("{second}T10:00:00Z")
    })))
    .await;
    assert_eq!(taken.status, 201);

    let created = send(app.authed(Method::POST, "/api/v1/recurring-schedules", &pro.token).json(&json!({
        "client_id": client_id, "service_id": pro.service, "weekday": weekday, "time": "10:00",
        "starts_on": first, "until": first + Duration::weeks(20)
    })))
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let made = created.body["materialized"]["created"]
        .as_array()
        .unwrap()
        .len();
    let conflicts = created.body["materialized"]["conflicts"]
        .as_array()
        .unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["code"], "appointment.slot_taken");
    // Today + 2 days, then weekly up to today + 8 weeks: 8 occurrences, one taken.
    assert_eq!(made, 7);

    // A longer horizon lets the job book further ahead, without duplicates.
    let staff = app.token_for(&[trellis_kernel::Role::Staff]);
    send(
        app.internal(Method::PATCH, "/internal/config")
            .bearer_auth(&staff)
            .json(&json!({"scheduling.recurring_horizon_weeks": 10})),
    )
    .await;
    let run = || {
        send(
            app.internal(Method::POST, "/internal/cron/recurring")
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    assert_eq!(run().await.body["report"]["created"], 2);
    assert_eq!(run().await.body["report"]["created"], 0);

    let id = created.body["schedule"]["id"].as_str().unwrap();
    assert_eq!(
        send(app.authed(
            Method::DELETE,
            &format!("/api/v1/recurring-schedules/{id}"),
            &pro.token
        ))
        .await
        .status,
        204
    );
    let list = send(app.authed(Method::GET, "/api/v1/recurring-schedules", &pro.token)).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(0));
    let cancelled = send(app.authed(
        Method::GET,
        "/api/v1/appointments?status=cancelled&limit=200",
        &pro.token,
    ))
    .await;
    assert_eq!(cancelled.body["items"].as_array().map(Vec::len), Some(9));
    // The appointment that was not part of the schedule is untouched.
    let kept = send(app.authed(
        Method::GET,
        &format!(
            "/api/v1/appointments/{}",
            taken.body["id"].as_str().unwrap()
        ),
        &pro.token,
    ))
    .await;
    assert_eq!(kept.body["status"], "confirmed");
    let bad = send(app.authed(Method::POST, "/api/v1/recurring-schedules", &pro.token).json(&json!({
        "client_id": client_id, "service_id": pro.service, "weekday": 8, "time": "25:00", "starts_on": first
    })))
    .await;
    bad.assert_problem(422, "request.validation_failed");
}

#[tokio::test]
async fn profile_reads_and_edits_and_late_cancellations_are_refused() {
    use chrono::TimeZone;
    let clock =
        trellis_kernel::clock::ManualClock::at(Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap());
    let app = TestApp::spawn_with_clock(
        &[("TRELLIS_RATE_LIMITS", "off")],
        std::sync::Arc::new(clock.clone()),
    )
    .await;
    let pro = professional(&app, "UTC").await;

    let me = send(app.authed(Method::GET, "/api/v1/professionals/me", &pro.token)).await;
    assert_eq!(me.body["slug"], pro.slug.as_str());
    let patched = send(
        app.authed(Method::PATCH, "/api/v1/professionals/me", &pro.token)
            .json(&json!({"bio": null, "name": "Ana L."})),
    )
    .await;
    assert_eq!(patched.body["name"], "Ana L.");
    assert!(patched.body.get("bio").is_none(), "{}", patched.text);
    // The caller's profile is cached per request path; a change shows at once.
    let reread = send(app.authed(Method::GET, "/api/v1/professionals/me", &pro.token)).await;
    assert_eq!(reread.body["name"], "Ana L.", "{}", reread.text);
    send(
        app.authed(Method::PATCH, "/api/v1/professionals/me", &pro.token)
            .json(&json!({"time_zone": "Nowhere"})),
    )
    .await
    .assert_problem(422, "request.validation_failed");
    let services =
        send(app.authed(Method::GET, "/api/v1/professionals/me/services", &pro.token)).await;
    assert_eq!(services.body[0]["cancellation_notice_minutes"], 120);
    let hours = send(app.authed(
        Method::GET,
        "/api/v1/professionals/me/availability",
        &pro.token,
    ))
    .await;
    assert_eq!(hours.body["rules"].as_array().map(Vec::len), Some(7));
    assert_eq!(
        hours.body["rules"][0],
        json!({"weekday": 1, "start": "09:00", "end": "17:00"})
    );
    assert_eq!(hours.body["time_zone"], "UTC");

    // Booked for 10:00 today with a 2-hour cancellation notice: at 08:00 it
    // may still be cancelled, from 08:01 on it may not.
    let email = unique_email("late");
    let token = app.register(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"service_id": pro.service, "start_at": "2026-12-01T10:00:00Z", "client": {"name": "Late", "email": email}});
    let booked = send(
        app.post_json(&format!("/api/v1/booking/{}", pro.slug), &body)
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let id = booked.body["id"].as_str().unwrap();
    clock.advance(Duration::minutes(1));
    let late = send(
        app.authed(
            Method::POST,
            &format!("/api/v1/users/me/appointments/{id}/cancel"),
            &token,
        )
        .json(&json!({})),
    )
    .await;
    late.assert_problem(409, "appointment.cancellation_window_passed");
}

/// A token whose session has ended must never book as its user, whether the
/// rate limiter (limits on) or the extractor (limits off) verifies it first.
#[tokio::test]
async fn a_revoked_sessions_token_never_books_as_its_user() {
    for limits in ["on", "off"] {
        let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", limits)]).await;
        let pro = professional(&app, "UTC").await;
        let email = unique_email("revoked");
        let me = app.register(&email, PASSWORD).await;
        let token = me["access_token"].as_str().unwrap();
        let out = send(app.authed(Method::POST, "/api/v1/auth/logout", token)).await;
        assert_eq!(out.status, 204, "{}", out.text);

        let free = slots(&app, &pro, day(3)).await;
        let body = json!({"service_id": pro.service, "start_at": free[0]["start_at"], "client": {"name": "Me", "email": email}});
        let path = format!("/api/v1/booking/{}", pro.slug);
        send(app.post_json(&path, &body).bearer_auth(token))
            .await
            .assert_problem(401, "auth.session_ended");
        send(app.post_json(&path, &body).bearer_auth("not-a-token"))
            .await
            .assert_problem(401, "auth.invalid_token");

        // Anonymous booking still works, and the ended session owns nothing.
        let anonymous = send(app.post_json(&path, &body)).await;
        assert_eq!(anonymous.status, 201, "limits {limits}: {}", anonymous.text);
        let relogin = send(app.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        ))
        .await;
        let fresh = relogin.body["access_token"].as_str().unwrap();
        let mine = send(app.authed(Method::GET, "/api/v1/users/me/appointments", fresh)).await;
        assert_eq!(mine.status, 200, "{}", mine.text);
        assert_eq!(mine.body["items"], json!([]), "limits {limits}");
    }
}

#[tokio::test]
async fn any_registered_job_runs_by_name_and_unknown_ones_are_404() {
    let app = TestApp::spawn_with(&[("CRON_SECRET", CRON_SECRET)]).await;
    let run = |job: &str| {
        send(
            app.internal(Method::POST, &format!("/internal/cron/{job}"))
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    let recurring = run("recurring").await;
    assert_eq!(recurring.status, 200, "{}", recurring.text);
    assert_eq!(recurring.body["job"], "recurring");
    assert_eq!(recurring.body["ran"], true);
    assert_eq!(recurring.body["report"]["created"], 0);
    run("backups").await.assert_problem(404, "cron.unknown_job");
}

/// A notification whose delivery gave up is listed as dead, and staff can
/// send it round again once the mail server is back; one-time links cannot be.
#[tokio::test]
async fn staff_retry_a_dead_notice_once_mail_works_again() {
    let app = TestApp::spawn_with(&[
        ("TRELLIS_RATE_LIMITS", "off"),
        ("SMTP_URL", "smtp://127.0.0.1:9"),
        ("TRELLIS_OUTBOX_POLL", "50ms"),
        ("TRELLIS_NOTIFY_POLL", "50ms"),
        ("TRELLIS_NOTIFY_RETRY_BASE", "50ms"),
        ("TRELLIS_NOTIFY_MAX_ATTEMPTS", "2"),
    ])
    .await;
    let pro = professional(&app, "UTC").await;
    let email = unique_email("retry");
    let free = slots(&app, &pro, day(3)).await;
    let body = json!({"service_id": pro.service, "start_at": free[0]["start_at"], "client": {"name": "Rui", "email": email}});
    assert_eq!(book(&app, &pro, &body).await.status, 201);

    let staff = app.token_for(&[trellis_kernel::Role::Staff]);
    let dead = || async {
        let reply = send(
            app.internal(Method::GET, "/internal/notifications?status=dead")
                .bearer_auth(&staff),
        )
        .await;
        reply.body["items"].as_array().cloned().unwrap_or_default()
    };
    let mut deliveries = Vec::new();
    for _ in 0..200 {
        deliveries = dead().await;
        if deliveries.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id_of = |kind: &str| {
        deliveries
            .iter()
            .find(|d| d["kind"] == kind)
            .and_then(|d| d["id"].as_str())
            .unwrap_or_else(|| panic!("no dead {kind} in {deliveries:?}"))
            .to_string()
    };
    let (booked, verification) = (id_of("booking_confirmed"), id_of("email_verification"));
    let retry = |id: &str| {
        send(
            app.internal(Method::POST, &format!("/internal/notifications/{id}/retry"))
                .bearer_auth(&staff),
        )
    };
    retry(&verification)
        .await
        .assert_problem(409, "notification.content_erased");
    retry(&uuid::Uuid::now_v7().to_string())
        .await
        .assert_problem(404, "notification.not_found");

    // The mail server is back (a restart with the working one).
    let app = app
        .crash_and_restart(&[
            ("TRELLIS_RATE_LIMITS", "off"),
            ("TRELLIS_NOTIFY_POLL", "50ms"),
        ])
        .await;
    let staff = app.token_for(&[trellis_kernel::Role::Staff]);
    let again = send(
        app.internal(
            Method::POST,
            &format!("/internal/notifications/{booked}/retry"),
        )
        .bearer_auth(&staff),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["status"], "pending");
    assert_eq!(again.body["attempts"], 0);
    app.mail(&email, "Confirmed:").await;
    send(
        app.internal(
            Method::POST,
            &format!("/internal/notifications/{booked}/retry"),
        )
        .bearer_auth(&staff),
    )
    .await
    .assert_problem(409, "notification.not_retryable");
}

/// Makes every insert of a notification request fail, as a database fault
/// right after the booking's own insert would.
async fn fail_notification_requests(app: &TestApp, on: bool) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let db = &app.state.db;
    let statements: &[&str] = match (db.get_database_backend(), on) {
        (DbBackend::Postgres, true) => &[
            "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'injected fault'; END $$",
            "CREATE TRIGGER injected_fault BEFORE INSERT ON outbox_events FOR EACH ROW \
             WHEN (NEW.kind = 'notification.requested') EXECUTE FUNCTION injected_fault()",
        ],
        (DbBackend::Postgres, false) => &[
            "DROP TRIGGER injected_fault ON outbox_events",
            "DROP FUNCTION injected_fault()",
        ],
        (_, true) => &[
            "CREATE TRIGGER injected_fault BEFORE INSERT ON outbox_events \
             WHEN NEW.kind = 'notification.requested' \
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
        ],
        (_, false) => &["DROP TRIGGER injected_fault"],
    };
    for sql in statements {
        db.execute_unprepared(sql).await.unwrap();
    }
}

/// The booking and its confirmation are one transaction: a fault between
/// them leaves neither, and the slot stays free.
#[tokio::test]
async fn a_booking_commits_with_its_confirmation_or_not_at_all() {
    let app = TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off")]).await;
    let pro = professional(&app, "UTC").await;
    let free = slots(&app, &pro, day(2)).await;
    let body = booking(&pro, &free[0]["start_at"], "Faulty");

    fail_notification_requests(&app, true).await;
    let failed = book(&app, &pro, &body).await;
    assert_eq!(failed.status, 500, "{}", failed.text);
    assert!(
        !failed.text.contains("injected"),
        "a 500 never shows internals: {}",
        failed.text
    );
    fail_notification_requests(&app, false).await;
    let listed = send(app.authed(Method::GET, "/api/v1/appointments", &pro.token)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        slots(&app, &pro, day(2)).await[0]["start_at"],
        free[0]["start_at"]
    );

    assert_eq!(book(&app, &pro, &body).await.status, 201);
    app.mail("faulty@example.com", "Confirmed:").await;
}
