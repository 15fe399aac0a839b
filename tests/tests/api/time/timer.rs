//! The caller's timer, on a clock the test moves.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use reqwest::Method;
use serde_json::json;
use trellis_kernel::clock::ManualClock;
use trellis_tests::TestApp;

use super::{agency, call, client_and_project, create, id};

/// A gateway whose clock starts at 2026-11-20 09:00:00 UTC; access tokens
/// outlive the hours the test moves it.
async fn spawn_at_nine() -> (TestApp, ManualClock) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
    let app = TestApp::spawn_with_clock(
        &[
            ("TRELLIS_RATE_LIMITS", "off"),
            ("TRELLIS_ACCESS_TOKEN_TTL", "24h"),
        ],
        Arc::new(clock.clone()),
    )
    .await;
    (app, clock)
}

#[tokio::test]
async fn a_timer_runs_until_stopped_and_starting_another_stops_it() {
    let (app, clock) = spawn_at_nine().await;
    let a = agency(&app).await;
    let m = &a.member;
    let (_, project) = client_and_project(&app, &a, m).await;
    let task = id(&create(
        &app,
        m,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "Review"}),
    )
    .await);
    let timer = a.at("/timer");

    let idle = call(&app, m, Method::GET, &timer, None).await;
    assert_eq!(idle.status, 200, "{}", idle.text);
    assert_eq!(idle.body, json!({"running": false}));
    call(&app, m, Method::POST, &a.at("/timer/stop"), None)
        .await
        .assert_problem(409, "time_entry.no_timer");

    let first = create(
        &app,
        m,
        &a.at("/timer/start"),
        json!({"project_id": project, "description": "Calls"}),
    )
    .await;
    assert_eq!(first["start_at"], "2026-11-20T09:00:00Z");
    assert_eq!(first.get("end_at"), None, "running: {first}");
    assert_eq!(first.get("duration_seconds"), None);
    let running = call(&app, m, Method::GET, &timer, None).await;
    assert_eq!(running.body, json!({"running": true, "entry": first}));
    // A colleague's timer is their own.
    let theirs = call(&app, &a.colleague, Method::GET, &timer, None).await;
    assert_eq!(theirs.body, json!({"running": false}));

    // Starting another stops the first at the same instant.
    clock.advance(Duration::minutes(25));
    let second = create(
        &app,
        m,
        &a.at("/timer/start"),
        json!({"project_id": project, "task_id": task}),
    )
    .await;
    assert_eq!(second["start_at"], "2026-11-20T09:25:00Z");
    let stopped = call(
        &app,
        m,
        Method::GET,
        &a.at(&format!("/time-entries/{}", id(&first))),
        None,
    )
    .await;
    assert_eq!(
        stopped.body["end_at"], "2026-11-20T09:25:00Z",
        "{}",
        stopped.text
    );
    assert_eq!(stopped.body["duration_seconds"], 1500);
    let now = call(&app, m, Method::GET, &timer, None).await;
    assert_eq!(now.body["entry"]["id"], second["id"]);

    // The running timer holds its time: nothing may be logged after its start.
    let overlap = call(
        &app,
        m,
        Method::POST,
        &a.at("/time-entries"),
        Some(json!({"project_id": project, "start_at": "2026-11-20T09:30:00Z", "end_at": "2026-11-20T09:40:00Z"})),
    )
    .await;
    overlap.assert_problem(409, "time_entry.overlap");

    clock.advance(Duration::minutes(10));
    let done = call(&app, m, Method::POST, &a.at("/timer/stop"), None).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["id"], second["id"]);
    assert_eq!(done.body["end_at"], "2026-11-20T09:35:00Z");
    assert_eq!(done.body["duration_seconds"], 600);
    assert_eq!(done.body["task_id"], task.as_str());
    assert_eq!(
        call(&app, m, Method::GET, &timer, None).await.body,
        json!({"running": false})
    );
    call(&app, m, Method::POST, &a.at("/timer/stop"), None)
        .await
        .assert_problem(409, "time_entry.no_timer");

    // Both entries are listed; a timer that rounds to nothing cannot be stopped.
    let listed = call(
        &app,
        m,
        Method::GET,
        &a.at(&format!("/time-entries?user_id={}", m.id)),
        None,
    )
    .await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.text
    );
    let started = create(
        &app,
        m,
        &a.at("/timer/start"),
        json!({"project_id": project}),
    )
    .await;
    // `running` tells timers from stopped entries, everyone's.
    let ids = |reply: &trellis_tests::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect()
    };
    let running = call(
        &app,
        &a.colleague,
        Method::GET,
        &a.at("/time-entries?running=true"),
        None,
    )
    .await;
    assert_eq!(running.status, 200, "{}", running.text);
    assert_eq!(ids(&running), [id(&started)]);
    let stopped = call(
        &app,
        &a.colleague,
        Method::GET,
        &a.at("/time-entries?running=false"),
        None,
    )
    .await;
    assert_eq!(ids(&stopped), [id(&second), id(&first)]);
    let short = call(&app, m, Method::POST, &a.at("/timer/stop"), None).await;
    short.assert_problem(422, "time_entry.too_short");
    let dropped = call(
        &app,
        m,
        Method::DELETE,
        &a.at(&format!("/time-entries/{}", id(&started))),
        None,
    )
    .await;
    assert_eq!(dropped.status, 204, "{}", dropped.text);
}
