//! Clients, projects, tasks and comments: every route, organization
//! isolation, authors' comments, validation and cursor paging.

use reqwest::Method;
use serde_json::json;

use super::{agency, call, client_and_project, create, fields, id, spawn};

#[tokio::test]
async fn clients_projects_tasks_and_comments_round_trip() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;

    // Clients.
    let client = create(
        &app,
        m,
        &a.at("/clients"),
        json!({"name": " Acme ", "email": "billing@acme.example", "currency": "EUR", "hourly_rate_minor": 8000}),
    )
    .await;
    assert_eq!(client["name"], "Acme", "{client}");
    assert_eq!(client["archived"], false);
    let client_id = id(&client);
    let listed = call(&app, m, Method::GET, &a.at("/clients"), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["id"], client["id"]);
    let path = a.at(&format!("/clients/{client_id}"));
    let got = call(&app, m, Method::GET, &path, None).await;
    assert_eq!(got.body, client);
    let changed = call(
        &app,
        m,
        Method::PATCH,
        &path,
        Some(json!({"name": "Acme Ltd", "email": null, "archived": true})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["name"], "Acme Ltd");
    assert_eq!(
        changed.body.get("email"),
        None,
        "null clears: {}",
        changed.text
    );
    assert_eq!(changed.body["currency"], "EUR");
    let archived = call(&app, m, Method::GET, &a.at("/clients?archived=true"), None).await;
    assert_eq!(archived.body["items"].as_array().map(Vec::len), Some(1));
    let current = call(&app, m, Method::GET, &a.at("/clients?archived=false"), None).await;
    assert_eq!(current.body["items"], json!([]), "{}", current.text);

    // Projects.
    let project = create(
        &app,
        m,
        &a.at("/projects"),
        json!({"client_id": client_id, "name": "Website", "code": "ACME-WEB", "color": "#1A2B3C", "budget_hours": 40}),
    )
    .await;
    assert_eq!(project["status"], "active");
    assert_eq!(project["billable"], true);
    assert_eq!(project["color"], "#1a2b3c");
    let project_id = id(&project);
    let taken = call(
        &app,
        m,
        Method::POST,
        &a.at("/projects"),
        Some(json!({"client_id": client_id, "name": "Again", "code": "ACME-WEB"})),
    )
    .await;
    taken.assert_problem(409, "project.code_taken");
    for query in [
        format!("?client_id={client_id}"),
        "?status=active".to_string(),
    ] {
        let listed = call(
            &app,
            m,
            Method::GET,
            &a.at(&format!("/projects{query}")),
            None,
        )
        .await;
        assert_eq!(
            listed.body["items"],
            json!([project]),
            "{query}: {}",
            listed.text
        );
    }
    let none = call(
        &app,
        m,
        Method::GET,
        &a.at("/projects?status=archived"),
        None,
    )
    .await;
    assert_eq!(none.body["items"], json!([]));
    let path = a.at(&format!("/projects/{project_id}"));
    assert_eq!(call(&app, m, Method::GET, &path, None).await.body, project);
    let changed = call(
        &app,
        m,
        Method::PATCH,
        &path,
        Some(json!({"name": "Web shop", "hourly_rate_minor": 9000, "code": null})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["name"], "Web shop");
    assert_eq!(changed.body["hourly_rate_minor"], 9000);
    assert_eq!(changed.body.get("code"), None);

    // Tasks.
    let task = create(
        &app,
        m,
        &a.at("/tasks"),
        json!({"project_id": project_id, "title": "Home page", "assignee_id": a.colleague.id,
               "due_on": "2026-12-01", "priority": "high", "estimate_minutes": 240}),
    )
    .await;
    assert_eq!(task["status"], "todo");
    assert_eq!(task["created_by"], m.id.as_str());
    let task_id = id(&task);
    let other_task = create(
        &app,
        m,
        &a.at("/tasks"),
        json!({"project_id": project_id, "title": "Checkout", "due_on": "2026-12-20"}),
    )
    .await;
    for (query, expected) in [
        (
            format!("?project_id={project_id}"),
            vec![&task, &other_task],
        ),
        (format!("?assignee_id={}", a.colleague.id), vec![&task]),
        ("?status=todo".to_string(), vec![&task, &other_task]),
        ("?status=done".to_string(), vec![]),
        ("?due_from=2026-12-02".to_string(), vec![&other_task]),
        ("?due_to=2026-12-01".to_string(), vec![&task]),
        (
            "?due_from=2026-11-01&due_to=2026-12-31".to_string(),
            vec![&task, &other_task],
        ),
    ] {
        let listed = call(&app, m, Method::GET, &a.at(&format!("/tasks{query}")), None).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert_eq!(listed.body["items"], json!(expected), "{query}");
    }
    let path = a.at(&format!("/tasks/{task_id}"));
    assert_eq!(call(&app, m, Method::GET, &path, None).await.body, task);
    let changed = call(
        &app,
        m,
        Method::PATCH,
        &path,
        Some(
            json!({"status": "in_progress", "assignee_id": null, "description": "Hero and footer"}),
        ),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["status"], "in_progress");
    assert_eq!(changed.body.get("assignee_id"), None);
    assert_eq!(changed.body["description"], "Hero and footer");

    // Comments.
    let comments = a.at(&format!("/tasks/{task_id}/comments"));
    let comment = create(&app, m, &comments, json!({"body": "Draft is up"})).await;
    assert_eq!(comment["author_id"], m.id.as_str());
    assert_eq!(comment.get("edited_at"), None);
    let reply = create(&app, &a.colleague, &comments, json!({"body": "Looks good"})).await;
    let listed = call(&app, m, Method::GET, &comments, None).await;
    assert_eq!(
        listed.body["items"],
        json!([comment, reply]),
        "{}",
        listed.text
    );
    let one = format!("{comments}/{}", id(&comment));
    let edited = call(
        &app,
        m,
        Method::PATCH,
        &one,
        Some(json!({"body": "Draft v2 is up"})),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["body"], "Draft v2 is up");
    assert!(edited.body["edited_at"].is_string(), "{}", edited.text);
    assert_eq!(call(&app, m, Method::DELETE, &one, None).await.status, 204);
    let listed = call(&app, m, Method::GET, &comments, None).await;
    assert_eq!(listed.body["items"], json!([reply]));

    // Deletes: a client with projects is in use; tasks go with their comments.
    let client_path = a.at(&format!("/clients/{client_id}"));
    call(&app, m, Method::DELETE, &client_path, None)
        .await
        .assert_problem(409, "agency_client.in_use");
    for task in [&task_id, &id(&other_task)] {
        let deleted = call(
            &app,
            m,
            Method::DELETE,
            &a.at(&format!("/tasks/{task}")),
            None,
        )
        .await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
    }
    call(&app, m, Method::GET, &path, None)
        .await
        .assert_problem(404, "task.not_found");
    call(&app, m, Method::GET, &comments, None)
        .await
        .assert_problem(404, "task.not_found");
    let project_path = a.at(&format!("/projects/{project_id}"));
    assert_eq!(
        call(&app, m, Method::DELETE, &project_path, None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&app, m, Method::DELETE, &client_path, None)
            .await
            .status,
        204
    );
    call(&app, m, Method::GET, &client_path, None)
        .await
        .assert_problem(404, "agency_client.not_found");
}

#[tokio::test]
async fn another_organizations_routes_and_ids_are_not_found() {
    let app = spawn().await;
    let a = agency(&app).await;
    let (client, project) = client_and_project(&app, &a, &a.member).await;
    let task = id(&create(
        &app,
        &a.member,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "T"}),
    )
    .await);
    let comment = id(&create(
        &app,
        &a.member,
        &a.at(&format!("/tasks/{task}/comments")),
        json!({"body": "hi"}),
    )
    .await);
    let entry = id(&create(
        &app,
        &a.member,
        &a.at("/time-entries"),
        json!({"project_id": project, "start_at": "2026-11-02T09:00:00Z", "end_at": "2026-11-02T10:00:00Z"}),
    )
    .await);

    // The outsider is no member of the agency: every route of it is 404.
    let body = json!({"name": "x", "currency": "EUR", "client_id": client, "project_id": project,
                      "title": "x", "body": "x", "start_at": "2026-11-02T11:00:00Z",
                      "end_at": "2026-11-02T12:00:00Z"});
    let routes = [
        (Method::GET, "/clients".to_string()),
        (Method::POST, "/clients".to_string()),
        (Method::GET, format!("/clients/{client}")),
        (Method::PATCH, format!("/clients/{client}")),
        (Method::DELETE, format!("/clients/{client}")),
        (Method::GET, "/projects".to_string()),
        (Method::POST, "/projects".to_string()),
        (Method::GET, format!("/projects/{project}")),
        (Method::PATCH, format!("/projects/{project}")),
        (Method::DELETE, format!("/projects/{project}")),
        (Method::GET, "/tasks".to_string()),
        (Method::POST, "/tasks".to_string()),
        (Method::GET, format!("/tasks/{task}")),
        (Method::PATCH, format!("/tasks/{task}")),
        (Method::DELETE, format!("/tasks/{task}")),
        (Method::GET, format!("/tasks/{task}/comments")),
        (Method::POST, format!("/tasks/{task}/comments")),
        (Method::PATCH, format!("/tasks/{task}/comments/{comment}")),
        (Method::DELETE, format!("/tasks/{task}/comments/{comment}")),
        (Method::GET, "/time-entries".to_string()),
        (Method::POST, "/time-entries".to_string()),
        (Method::GET, format!("/time-entries/{entry}")),
        (Method::PATCH, format!("/time-entries/{entry}")),
        (Method::DELETE, format!("/time-entries/{entry}")),
        (Method::GET, "/timer".to_string()),
        (Method::POST, "/timer/start".to_string()),
        (Method::POST, "/timer/stop".to_string()),
        (
            Method::GET,
            "/reports/summary?from=2026-11-01&to=2026-11-30".to_string(),
        ),
        (Method::GET, "/time-settings".to_string()),
        (Method::PATCH, "/time-settings".to_string()),
    ];
    for (method, path) in &routes {
        let body = (*method != Method::GET && *method != Method::DELETE).then(|| body.clone());
        let reply = call(&app, &a.outsider, method.clone(), &a.at(path), body).await;
        reply.assert_problem(404, "org.not_found");
    }

    // In their own organization, the agency's ids do not exist.
    let o = &a.outsider;
    let other = |path: &str| a.other(path);
    for (path, code) in [
        (format!("/clients/{client}"), "agency_client.not_found"),
        (format!("/projects/{project}"), "project.not_found"),
        (format!("/tasks/{task}"), "task.not_found"),
        (format!("/tasks/{task}/comments"), "task.not_found"),
        (format!("/time-entries/{entry}"), "time_entry.not_found"),
    ] {
        call(&app, o, Method::GET, &other(&path), None)
            .await
            .assert_problem(404, code);
    }
    for (method, path, code) in [
        (
            Method::PATCH,
            format!("/clients/{client}"),
            "agency_client.not_found",
        ),
        (
            Method::DELETE,
            format!("/clients/{client}"),
            "agency_client.not_found",
        ),
        (
            Method::PATCH,
            format!("/projects/{project}"),
            "project.not_found",
        ),
        (
            Method::DELETE,
            format!("/projects/{project}"),
            "project.not_found",
        ),
        (Method::PATCH, format!("/tasks/{task}"), "task.not_found"),
        (Method::DELETE, format!("/tasks/{task}"), "task.not_found"),
        (
            Method::PATCH,
            format!("/time-entries/{entry}"),
            "time_entry.not_found",
        ),
        (
            Method::DELETE,
            format!("/time-entries/{entry}"),
            "time_entry.not_found",
        ),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"name": "mine", "title": "mine"}));
        call(&app, o, method, &other(&path), body)
            .await
            .assert_problem(404, code);
    }
    // Nor can they be pointed at from the outsider's own resources.
    let attach = call(
        &app,
        o,
        Method::POST,
        &other("/projects"),
        Some(json!({"client_id": client, "name": "Poached"})),
    )
    .await;
    attach.assert_problem(404, "agency_client.not_found");
    for (path, body) in [
        ("/tasks", json!({"project_id": project, "title": "Poached"})),
        (
            "/time-entries",
            json!({"project_id": project, "start_at": "2026-11-02T09:00:00Z", "end_at": "2026-11-02T10:00:00Z"}),
        ),
        ("/timer/start", json!({"project_id": project})),
    ] {
        call(&app, o, Method::POST, &other(path), Some(body))
            .await
            .assert_problem(404, "project.not_found");
    }
    // Their lists hold nothing of the agency's.
    for path in ["/clients", "/projects", "/tasks", "/time-entries"] {
        let listed = call(&app, o, Method::GET, &other(path), None).await;
        assert_eq!(listed.body["items"], json!([]), "{path}: {}", listed.text);
    }
    let report = call(
        &app,
        o,
        Method::GET,
        &other("/reports/summary?from=2026-11-01&to=2026-11-30"),
        None,
    )
    .await;
    assert_eq!(report.body["total"]["seconds"], 0, "{}", report.text);
}

#[tokio::test]
async fn only_its_author_changes_a_comment() {
    let app = spawn().await;
    let a = agency(&app).await;
    let (_, project) = client_and_project(&app, &a, &a.member).await;
    let task = id(&create(
        &app,
        &a.member,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "T"}),
    )
    .await);
    let comments = a.at(&format!("/tasks/{task}/comments"));
    let comment = id(&create(&app, &a.member, &comments, json!({"body": "mine"})).await);
    let one = format!("{comments}/{comment}");
    // Neither a colleague nor the organization's owner rewrites it.
    for who in [&a.colleague, &a.owner] {
        call(
            &app,
            who,
            Method::PATCH,
            &one,
            Some(json!({"body": "theirs"})),
        )
        .await
        .assert_problem(403, "task_comment.not_author");
        call(&app, who, Method::DELETE, &one, None)
            .await
            .assert_problem(403, "task_comment.not_author");
    }
    // A comment id under another task is not found.
    let other_task = id(&create(
        &app,
        &a.member,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "U"}),
    )
    .await);
    call(
        &app,
        &a.member,
        Method::DELETE,
        &a.at(&format!("/tasks/{other_task}/comments/{comment}")),
        None,
    )
    .await
    .assert_problem(404, "task_comment.not_found");
    let listed = call(&app, &a.member, Method::GET, &comments, None).await;
    assert_eq!(listed.body["items"][0]["body"], "mine");
}

#[tokio::test]
async fn refused_fields_are_named() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;
    let (client, project) = client_and_project(&app, &a, m).await;
    let post = |path: &'static str, body: serde_json::Value| {
        let path = a.at(path);
        let app = &app;
        async move { call(app, m, Method::POST, &path, Some(body)).await }
    };

    let cases = [
        // Checked by the domain's rules.
        (
            "/clients",
            json!({"name": "", "currency": "EUR", "hourly_rate_minor": -1}),
            vec!["hourly_rate_minor", "name"],
        ),
        (
            "/projects",
            json!({"client_id": client, "name": "P", "color": "red", "budget_hours": -5}),
            vec!["budget_hours", "color"],
        ),
        (
            "/tasks",
            json!({"project_id": project, "title": "T", "assignee_id": a.outsider.id}),
            vec!["assignee_id"],
        ),
        (
            "/tasks",
            json!({"project_id": project, "title": "", "estimate_minutes": 0}),
            vec!["estimate_minutes", "title"],
        ),
        (
            "/time-entries",
            json!({"project_id": project, "start_at": "2026-11-02T10:00:00Z", "end_at": "2026-11-20T09:00:00Z"}),
            vec!["end_at"],
        ),
        // Refused by a value type before anything runs.
        (
            "/clients",
            json!({"name": "C", "currency": "EURO"}),
            vec!["currency"],
        ),
        (
            "/clients",
            json!({"name": "C", "currency": "EUR", "email": "not an email"}),
            vec!["email"],
        ),
    ];
    for (path, body, expected) in cases {
        let reply = post(path, body.clone()).await;
        reply.assert_problem(422, "request.validation_failed");
        let mut named = fields(&reply);
        named.sort();
        assert_eq!(named, expected, "{path} {body}: {}", reply.text);
    }
    let short = post(
        "/time-entries",
        json!({"project_id": project, "start_at": "2026-11-02T10:00:00Z", "end_at": "2026-11-02T10:00:00Z"}),
    )
    .await;
    short.assert_problem(422, "time_entry.too_short");
    assert_eq!(fields(&short), ["end_at"]);

    let patch = call(
        &app,
        m,
        Method::PATCH,
        &a.at(&format!("/projects/{project}")),
        Some(json!({"name": "", "color": "#12345"})),
    )
    .await;
    patch.assert_problem(422, "request.validation_failed");
    let settings = call(
        &app,
        &a.owner,
        Method::PATCH,
        &a.at("/time-settings"),
        Some(json!({"rounding": {"mode": "up", "minutes": 7}})),
    )
    .await;
    settings.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&settings), ["rounding.minutes"]);
    let zone = call(
        &app,
        &a.owner,
        Method::PATCH,
        &a.at("/time-settings"),
        Some(json!({"time_zone": "Europe/Lisboa"})),
    )
    .await;
    zone.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&zone), ["time_zone"]);
    let range = call(
        &app,
        m,
        Method::GET,
        &a.at("/reports/summary?from=2026-11-10&to=2026-11-01"),
        None,
    )
    .await;
    range.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&range), ["to"]);
    // Nothing was written by the refused requests.
    let clients = call(&app, m, Method::GET, &a.at("/clients"), None).await;
    assert_eq!(clients.body["items"].as_array().map(Vec::len), Some(1));
    let entries = call(&app, m, Method::GET, &a.at("/time-entries"), None).await;
    assert_eq!(entries.body["items"], json!([]));
}

#[tokio::test]
async fn lists_page_with_cursors() {
    let app = spawn().await;
    let a = agency(&app).await;
    let m = &a.member;
    let mut made = Vec::new();
    for n in 0..5 {
        let client = create(
            &app,
            m,
            &a.at("/clients"),
            json!({"name": format!("Client {n}"), "currency": "USD"}),
        )
        .await;
        made.push(client["id"].clone());
    }
    let mut seen = Vec::new();
    let mut path = a.at("/clients?limit=2");
    let mut pages = 0;
    loop {
        let page = call(&app, m, Method::GET, &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        pages += 1;
        let items = page.body["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2, "{}", page.text);
        seen.extend(items.iter().map(|c| c["id"].clone()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = a.at(&format!("/clients?limit=2&cursor={cursor}")),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, made, "oldest first, each once");

    let bad = call(
        &app,
        m,
        Method::GET,
        &a.at("/clients?cursor=not-ours"),
        None,
    )
    .await;
    bad.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&bad), ["cursor"]);
    let big = call(&app, m, Method::GET, &a.at("/clients?limit=201"), None).await;
    big.assert_problem(422, "request.validation_failed");
}
