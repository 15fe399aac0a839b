//! Time entries: logging, filters, who may change what, overlaps, the lock
//! date, projects and tasks in use, and the organization's settings.

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::TestApp;

use super::{Agency, Person, agency, call, client_and_project, create, id, spawn};

fn span(project: &str, start: &str, end: &str) -> Value {
    json!({"project_id": project, "start_at": start, "end_at": end})
}

async fn log(app: &TestApp, a: &Agency, who: &Person, body: Value) -> Value {
    create(app, who, &a.at("/time-entries"), body).await
}

#[tokio::test]
async fn entries_are_logged_filtered_changed_and_deleted() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;
    let (client, project) = client_and_project(&app, &a, m).await;
    let task = id(&create(
        &app,
        m,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "Build"}),
    )
    .await);

    let entry = log(
        &app,
        &a,
        m,
        json!({"project_id": project, "task_id": task, "description": "Layout",
               "start_at": "2026-11-02T09:00:00+01:00", "end_at": "2026-11-02T10:30:00+01:00"}),
    )
    .await;
    assert_eq!(entry["user_id"], m.id.as_str());
    assert_eq!(entry["start_at"], "2026-11-02T08:00:00Z", "stored in UTC");
    assert_eq!(entry["duration_seconds"], 5400);
    assert_eq!(entry["rate_minor"], 6000, "the client's rate");
    assert_eq!(entry["currency"], "EUR");
    assert_eq!(entry["billable"], true, "the project's default");
    let entry_id = id(&entry);
    let unbilled = log(
        &app,
        &a,
        &a.colleague,
        json!({"project_id": project, "billable": false,
               "start_at": "2026-11-03T09:00:00Z", "end_at": "2026-11-03T09:45:00Z"}),
    )
    .await;

    // Newest start first; each filter narrows the list.
    let both = json!([unbilled, entry]);
    for (query, expected) in [
        (String::new(), both.clone()),
        (format!("?project_id={project}"), both.clone()),
        (format!("?client_id={client}"), both.clone()),
        (format!("?task_id={task}"), json!([entry])),
        (format!("?user_id={}", m.id), json!([entry])),
        (format!("?user_id={}", a.colleague.id), json!([unbilled])),
        ("?billable=true".to_string(), json!([entry])),
        ("?billable=false".to_string(), json!([unbilled])),
        ("?from=2026-11-03T00:00:00Z".to_string(), json!([unbilled])),
        ("?to=2026-11-03T00:00:00Z".to_string(), json!([entry])),
        (
            "?from=2026-11-02T08:00:00Z&to=2026-11-02T08:00:01Z".to_string(),
            json!([entry]),
        ),
        ("?from=2026-11-04T00:00:00Z".to_string(), json!([])),
    ] {
        let listed = call(
            &app,
            m,
            Method::GET,
            &a.at(&format!("/time-entries{query}")),
            None,
        )
        .await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert_eq!(listed.body["items"], expected, "{query}");
    }
    // Paging over entries keeps the order.
    let first = call(&app, m, Method::GET, &a.at("/time-entries?limit=1"), None).await;
    assert_eq!(first.body["items"], json!([unbilled]));
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = call(
        &app,
        m,
        Method::GET,
        &a.at(&format!("/time-entries?limit=1&cursor={cursor}")),
        None,
    )
    .await;
    assert_eq!(second.body["items"], json!([entry]));
    assert_eq!(second.body.get("next_cursor"), None);

    let path = a.at(&format!("/time-entries/{entry_id}"));
    // Any member reads it.
    let got = call(&app, &a.colleague, Method::GET, &path, None).await;
    assert_eq!(got.body, entry);
    let changed = call(
        &app,
        m,
        Method::PATCH,
        &path,
        Some(json!({"end_at": "2026-11-02T10:00:00Z", "task_id": null, "description": "Layout, hero"})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["duration_seconds"], 7200);
    assert_eq!(changed.body.get("task_id"), None);
    assert_eq!(changed.body["description"], "Layout, hero");
    assert_eq!(call(&app, m, Method::DELETE, &path, None).await.status, 204);
    call(&app, m, Method::GET, &path, None)
        .await
        .assert_problem(404, "time_entry.not_found");
}

#[tokio::test]
async fn members_change_their_own_entries_and_admins_anyones() {
    let app = spawn().await;
    let a = agency(&app).await;
    let (_, project) = client_and_project(&app, &a, &a.member).await;
    let entry = log(
        &app,
        &a,
        &a.member,
        span(&project, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z"),
    )
    .await;
    let path = a.at(&format!("/time-entries/{}", id(&entry)));

    let colleague = &a.colleague;
    call(
        &app,
        colleague,
        Method::PATCH,
        &path,
        Some(json!({"description": "mine now"})),
    )
    .await
    .assert_problem(403, "time_entry.not_owner");
    call(&app, colleague, Method::DELETE, &path, None)
        .await
        .assert_problem(403, "time_entry.not_owner");
    // A member logs only their own time.
    let mut for_member = span(&project, "2026-11-02T11:00:00Z", "2026-11-02T12:00:00Z");
    for_member["user_id"] = json!(a.member.id);
    call(
        &app,
        colleague,
        Method::POST,
        &a.at("/time-entries"),
        Some(for_member.clone()),
    )
    .await
    .assert_problem(403, "time_entry.not_owner");

    // The owner (an admin) changes anyone's and logs for any member.
    let fixed = call(
        &app,
        &a.owner,
        Method::PATCH,
        &path,
        Some(json!({"description": "Fixed by admin"})),
    )
    .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    assert_eq!(fixed.body["user_id"], a.member.id.as_str());
    let logged = log(&app, &a, &a.owner, for_member).await;
    assert_eq!(logged["user_id"], a.member.id.as_str());
    let mut for_stranger = span(&project, "2026-11-02T13:00:00Z", "2026-11-02T14:00:00Z");
    for_stranger["user_id"] = json!(a.outsider.id);
    let refused = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/time-entries"),
        Some(for_stranger),
    )
    .await;
    refused.assert_problem(422, "request.validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "user_id");
    assert_eq!(
        call(&app, &a.owner, Method::DELETE, &path, None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn projects_and_tasks_with_time_are_in_use_and_archived_projects_take_none() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;
    let (_, project) = client_and_project(&app, &a, m).await;
    let task = id(&create(
        &app,
        m,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "Build"}),
    )
    .await);
    let mut body = span(&project, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z");
    body["task_id"] = json!(task);
    log(&app, &a, m, body).await;

    let project_path = a.at(&format!("/projects/{project}"));
    call(&app, m, Method::DELETE, &project_path, None)
        .await
        .assert_problem(409, "project.in_use");
    call(
        &app,
        m,
        Method::DELETE,
        &a.at(&format!("/tasks/{task}")),
        None,
    )
    .await
    .assert_problem(409, "task.in_use");
    assert_eq!(
        call(&app, m, Method::GET, &project_path, None).await.status,
        200
    );

    // Archived instead: it keeps its time and takes no more.
    let archived = call(
        &app,
        m,
        Method::PATCH,
        &project_path,
        Some(json!({"status": "archived"})),
    )
    .await;
    assert_eq!(archived.body["status"], "archived", "{}", archived.text);
    call(
        &app,
        m,
        Method::POST,
        &a.at("/time-entries"),
        Some(span(
            &project,
            "2026-11-02T11:00:00Z",
            "2026-11-02T12:00:00Z",
        )),
    )
    .await
    .assert_problem(409, "project.archived");
    call(
        &app,
        m,
        Method::POST,
        &a.at("/timer/start"),
        Some(json!({"project_id": project})),
    )
    .await
    .assert_problem(409, "project.archived");
    let listed = call(
        &app,
        m,
        Method::GET,
        &a.at(&format!("/time-entries?project_id={project}")),
        None,
    )
    .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn one_persons_time_does_not_overlap_unless_the_organization_allows_it() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;
    let (_, project) = client_and_project(&app, &a, m).await;
    let first = log(
        &app,
        &a,
        m,
        span(&project, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z"),
    )
    .await;

    let entries = a.at("/time-entries");
    for (start, end) in [
        ("2026-11-02T09:30:00Z", "2026-11-02T10:30:00Z"),
        ("2026-11-02T08:00:00Z", "2026-11-02T11:00:00Z"),
        ("2026-11-02T09:15:00Z", "2026-11-02T09:45:00Z"),
    ] {
        call(
            &app,
            m,
            Method::POST,
            &entries,
            Some(span(&project, start, end)),
        )
        .await
        .assert_problem(409, "time_entry.overlap");
    }
    // Back to back is fine, and so is someone else's time at the same hour.
    let next = log(
        &app,
        &a,
        m,
        span(&project, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z"),
    )
    .await;
    log(
        &app,
        &a,
        &a.colleague,
        span(&project, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z"),
    )
    .await;
    // Moving an entry onto another is refused too.
    call(
        &app,
        m,
        Method::PATCH,
        &a.at(&format!("/time-entries/{}", id(&next))),
        Some(json!({"start_at": "2026-11-02T09:59:00Z"})),
    )
    .await
    .assert_problem(409, "time_entry.overlap");

    // Only admins change the rules.
    let settings = a.at("/time-settings");
    let defaults = call(&app, m, Method::GET, &settings, None).await;
    assert_eq!(
        defaults.body,
        json!({"time_zone": "UTC", "allow_overlaps": false}),
        "{}",
        defaults.text
    );
    call(
        &app,
        m,
        Method::PATCH,
        &settings,
        Some(json!({"allow_overlaps": true})),
    )
    .await
    .assert_problem(403, "org.role_required");
    let allowed = call(
        &app,
        &a.owner,
        Method::PATCH,
        &settings,
        Some(json!({"allow_overlaps": true})),
    )
    .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert_eq!(allowed.body["allow_overlaps"], true);
    let overlapping = log(
        &app,
        &a,
        m,
        span(&project, "2026-11-02T09:30:00Z", "2026-11-02T10:30:00Z"),
    )
    .await;
    assert_eq!(overlapping["duration_seconds"], 3600);
    assert_eq!(first["duration_seconds"], 3600);
}

#[tokio::test]
async fn the_lock_date_binds_members_not_admins() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;
    let (_, project) = client_and_project(&app, &a, m).await;
    let before = log(
        &app,
        &a,
        m,
        span(&project, "2026-10-30T09:00:00Z", "2026-10-30T10:00:00Z"),
    )
    .await;

    let settings = a.at("/time-settings");
    let locked = call(
        &app,
        &a.owner,
        Method::PATCH,
        &settings,
        Some(
            json!({"time_zone": "Europe/Lisbon", "lock_date": "2026-11-01",
                    "rounding": {"mode": "nearest", "minutes": 15}}),
        ),
    )
    .await;
    assert_eq!(locked.status, 200, "{}", locked.text);
    assert_eq!(
        call(&app, m, Method::GET, &settings, None).await.body,
        json!({"time_zone": "Europe/Lisbon", "allow_overlaps": false, "lock_date": "2026-11-01",
               "rounding": {"mode": "nearest", "minutes": 15}})
    );

    let entries = a.at("/time-entries");
    let old = a.at(&format!("/time-entries/{}", id(&before)));
    call(
        &app,
        m,
        Method::POST,
        &entries,
        Some(span(
            &project,
            "2026-10-31T09:00:00Z",
            "2026-10-31T10:00:00Z",
        )),
    )
    .await
    .assert_problem(403, "time_entry.locked");
    call(
        &app,
        m,
        Method::PATCH,
        &old,
        Some(json!({"description": "late edit"})),
    )
    .await
    .assert_problem(403, "time_entry.locked");
    call(&app, m, Method::DELETE, &old, None)
        .await
        .assert_problem(403, "time_entry.locked");
    // Moving an open entry back before the lock date is locked too.
    let open = log(
        &app,
        &a,
        m,
        span(&project, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z"),
    )
    .await;
    call(
        &app,
        m,
        Method::PATCH,
        &a.at(&format!("/time-entries/{}", id(&open))),
        Some(json!({"start_at": "2026-10-31T09:00:00Z", "end_at": "2026-10-31T10:00:00Z"})),
    )
    .await
    .assert_problem(403, "time_entry.locked");
    // New time is rounded to the grid.
    let rounded = log(
        &app,
        &a,
        m,
        span(&project, "2026-11-03T09:07:00Z", "2026-11-03T09:53:00Z"),
    )
    .await;
    assert_eq!(rounded["start_at"], "2026-11-03T09:00:00Z");
    assert_eq!(rounded["end_at"], "2026-11-03T10:00:00Z");

    // An admin still corrects the locked past.
    let fixed = call(
        &app,
        &a.owner,
        Method::PATCH,
        &old,
        Some(json!({"description": "closed"})),
    )
    .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    log(
        &app,
        &a,
        &a.owner,
        span(&project, "2026-10-31T09:00:00Z", "2026-10-31T10:00:00Z"),
    )
    .await;
    // Unlocking (`null`) frees it for members again.
    let unlocked = call(
        &app,
        &a.owner,
        Method::PATCH,
        &settings,
        Some(json!({"lock_date": null})),
    )
    .await;
    assert_eq!(unlocked.body.get("lock_date"), None, "{}", unlocked.text);
    assert_eq!(call(&app, m, Method::DELETE, &old, None).await.status, 204);
}
