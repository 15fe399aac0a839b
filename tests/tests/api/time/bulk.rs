//! Bulk operations over HTTP: a result per id, in one transaction; another
//! organization's ids are `not_found`; rows in use are `conflict`s.

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::TestApp;

use super::{Agency, Person, agency, call, client_and_project, create, fields, id, spawn};

/// `(id, outcome, code)` of each result.
fn outcomes(report: &Value) -> Vec<(String, String, Option<String>)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn ok(id: &str) -> (String, String, Option<String>) {
    (id.to_owned(), "ok".to_owned(), None)
}

fn not_found(id: &str) -> (String, String, Option<String>) {
    (id.to_owned(), "not_found".to_owned(), None)
}

fn conflict(id: &str, code: &str) -> (String, String, Option<String>) {
    (id.to_owned(), "conflict".to_owned(), Some(code.to_owned()))
}

async fn bulk(app: &TestApp, a: &Agency, who: &Person, what: &str, body: Value) -> Value {
    let reply = call(
        app,
        who,
        Method::POST,
        &a.at(&format!("/bulk/{what}")),
        Some(body),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

async fn task(app: &TestApp, a: &Agency, project: &str, title: &str) -> String {
    id(&create(
        app,
        &a.member,
        &a.at("/tasks"),
        json!({"project_id": project, "title": title}),
    )
    .await)
}

#[tokio::test]
async fn tasks_change_in_bulk_with_a_result_per_id() {
    let app = spawn().await;
    let a = agency(&app).await;
    let admin = &a.owner;
    let (_, project) = client_and_project(&app, &a, &a.member).await;
    let (one, two, three) = (
        task(&app, &a, &project, "One").await,
        task(&app, &a, &project, "Two").await,
        task(&app, &a, &project, "Three").await,
    );
    // A task of the other organization.
    let rival_client = create(
        &app,
        &a.outsider,
        &a.other("/clients"),
        json!({"name": "Rival client", "currency": "EUR"}),
    )
    .await;
    let rival_project = create(
        &app,
        &a.outsider,
        &a.other("/projects"),
        json!({"client_id": id(&rival_client), "name": "Rival project"}),
    )
    .await;
    let foreign = id(&create(
        &app,
        &a.outsider,
        &a.other("/tasks"),
        json!({"project_id": id(&rival_project), "title": "Theirs"}),
    )
    .await);
    let unknown = "0190a000-0000-7000-8000-000000000000";

    let done = bulk(
        &app,
        &a,
        admin,
        "tasks",
        json!({"ids": [one, two, foreign, one, unknown], "action": "set_status", "status": "done"}),
    )
    .await;
    assert_eq!(
        (&done["ok"], &done["not_found"], &done["conflict"]),
        (&json!(2), &json!(2), &json!(0))
    );
    assert_eq!(
        outcomes(&done),
        [ok(&one), ok(&two), not_found(&foreign), not_found(unknown)],
        "each id once, in the order given"
    );
    let status = |task: &str| {
        let path = a.at(&format!("/tasks/{task}"));
        let app = &app;
        async move {
            call(app, admin, Method::GET, &path, None).await.body["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(status(&one).await, "done");
    assert_eq!(status(&three).await, "todo");
    let theirs = call(
        &app,
        &a.outsider,
        Method::GET,
        &a.other(&format!("/tasks/{foreign}")),
        None,
    )
    .await;
    assert_eq!(
        theirs.body["status"], "todo",
        "the other organization's task is untouched"
    );

    // Assign to a member, unassign; a non-member is refused as a whole.
    let assigned = bulk(
        &app,
        &a,
        admin,
        "tasks",
        json!({"ids": [two, three], "action": "set_assignee", "assignee_id": a.colleague.id}),
    )
    .await;
    assert_eq!(assigned["ok"], 2);
    let got = call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/tasks/{three}")),
        None,
    )
    .await;
    assert_eq!(got.body["assignee_id"], a.colleague.id.as_str());
    let unassigned = bulk(
        &app,
        &a,
        admin,
        "tasks",
        json!({"ids": [three], "action": "set_assignee", "assignee_id": null}),
    )
    .await;
    assert_eq!(unassigned["ok"], 1);
    let got = call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/tasks/{three}")),
        None,
    )
    .await;
    assert_eq!(got.body.get("assignee_id"), None);
    let stranger = call(
        &app,
        admin,
        Method::POST,
        &a.at("/bulk/tasks"),
        Some(json!({"ids": [two], "action": "set_assignee", "assignee_id": a.outsider.id})),
    )
    .await;
    stranger.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&stranger), ["assignee_id"]);

    // Delete: a task with time logged is a conflict, the others go.
    create(
        &app,
        &a.member,
        &a.at("/time-entries"),
        json!({"project_id": project, "task_id": one,
               "start_at": "2026-11-02T09:00:00Z", "end_at": "2026-11-02T10:00:00Z"}),
    )
    .await;
    let deleted = bulk(
        &app,
        &a,
        admin,
        "tasks",
        json!({"ids": [one, two, foreign], "action": "delete"}),
    )
    .await;
    assert_eq!(
        outcomes(&deleted),
        [conflict(&one, "task.in_use"), ok(&two), not_found(&foreign)]
    );
    call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/tasks/{two}")),
        None,
    )
    .await
    .assert_problem(404, "task.not_found");
    assert_eq!(status(&one).await, "done");

    // Refused requests: no ids, too many, a missing status, members.
    for body in [
        json!({"ids": [], "action": "delete"}),
        json!({"ids": [unknown], "action": "set_status"}),
    ] {
        let refused = call(&app, admin, Method::POST, &a.at("/bulk/tasks"), Some(body)).await;
        refused.assert_problem(422, "request.validation_failed");
    }
    let many: Vec<String> = (0..501)
        .map(|n| format!("0190a000-0000-7000-8000-{n:012}"))
        .collect();
    let refused = call(
        &app,
        admin,
        Method::POST,
        &a.at("/bulk/tasks"),
        Some(json!({"ids": many, "action": "delete"})),
    )
    .await;
    refused.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&refused), ["ids"]);
    call(
        &app,
        &a.member,
        Method::POST,
        &a.at("/bulk/tasks"),
        Some(json!({"ids": [three], "action": "delete"})),
    )
    .await
    .assert_problem(403, "org.role_required");
    // The agency's admin is no member of the other organization.
    call(
        &app,
        admin,
        Method::POST,
        &a.other("/bulk/tasks"),
        Some(json!({"ids": [foreign], "action": "delete"})),
    )
    .await
    .assert_problem(404, "org.not_found");
}

#[tokio::test]
async fn clients_are_archived_and_deleted_in_bulk() {
    let app = spawn().await;
    let a = agency(&app).await;
    let admin = &a.owner;
    let (with_project, _) = client_and_project(&app, &a, admin).await;
    let idle = id(&create(
        &app,
        admin,
        &a.at("/clients"),
        json!({"name": "Idle", "currency": "EUR"}),
    )
    .await);
    let theirs = id(&create(
        &app,
        &a.outsider,
        &a.other("/clients"),
        json!({"name": "Theirs", "currency": "EUR"}),
    )
    .await);

    let archived = bulk(
        &app,
        &a,
        admin,
        "clients",
        json!({"ids": [with_project, idle, theirs], "action": "archive"}),
    )
    .await;
    assert_eq!(
        outcomes(&archived),
        [ok(&with_project), ok(&idle), not_found(&theirs)]
    );
    let got = call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/clients/{idle}")),
        None,
    )
    .await;
    assert_eq!(got.body["archived"], true);
    let still = call(
        &app,
        &a.outsider,
        Method::GET,
        &a.other(&format!("/clients/{theirs}")),
        None,
    )
    .await;
    assert_eq!(still.body["archived"], false);
    let back = bulk(
        &app,
        &a,
        admin,
        "clients",
        json!({"ids": [idle], "action": "unarchive"}),
    )
    .await;
    assert_eq!(outcomes(&back), [ok(&idle)]);

    let deleted = bulk(
        &app,
        &a,
        admin,
        "clients",
        json!({"ids": [with_project, idle, theirs], "action": "delete"}),
    )
    .await;
    assert_eq!(
        outcomes(&deleted),
        [
            conflict(&with_project, "agency_client.in_use"),
            ok(&idle),
            not_found(&theirs)
        ]
    );
    assert_eq!(deleted["conflict"], 1);
    call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/clients/{idle}")),
        None,
    )
    .await
    .assert_problem(404, "agency_client.not_found");
    let kept = call(
        &app,
        &a.outsider,
        Method::GET,
        &a.other(&format!("/clients/{theirs}")),
        None,
    )
    .await;
    assert_eq!(kept.status, 200, "the other organization's client stays");

    call(
        &app,
        &a.member,
        Method::POST,
        &a.at("/bulk/clients"),
        Some(json!({"ids": [idle], "action": "archive"})),
    )
    .await
    .assert_problem(403, "org.role_required");
    call(
        &app,
        admin,
        Method::POST,
        &a.at("/bulk/clients"),
        Some(json!({"ids": [idle], "action": "paint"})),
    )
    .await
    .assert_problem(400, "request.invalid_body");
}
