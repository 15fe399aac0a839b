//! CSV over HTTP: imports (dry run, commit, all or nothing, the history),
//! the export and its round trip through the import, people named by
//! email, formulas guarded, bodies too large or of the wrong type, and
//! organizations kept apart.

use reqwest::{Method, header};
use serde_json::{Value, json};
use trellis_tests::{Reply, TestApp, send};

use super::{Person, agency, all_items, call, client_and_project, create, fields, id, spawn};

/// POSTs `csv` as `text/csv` to `{org}/import?{query}` (`org` is
/// `a.at("")` or `a.other("")`).
async fn import(app: &TestApp, org: &str, who: &Person, query: &str, csv: &str) -> Reply {
    send(
        app.authed(Method::POST, &format!("{org}/import?{query}"), &who.token)
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .body(csv.to_owned()),
    )
    .await
}

/// The export of `{org}/export?{query}`, as text.
async fn export(app: &TestApp, org: &str, who: &Person, query: &str) -> Reply {
    send(app.authed(Method::GET, &format!("{org}/export?{query}"), &who.token)).await
}

/// (line, field) of a report's errors.
fn errors(report: &Value) -> Vec<(u64, Option<String>)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

const CLIENTS: &str = "name,email,currency,hourly_rate_minor
Acme,ops@acme.example,EUR,9500
Globex,not-an-email,USD,
Initech,,EUR,
,,EUR,100
";

#[tokio::test]
async fn a_dry_run_checks_every_row_and_a_commit_keeps_the_valid_ones_or_none() {
    let app = spawn().await;
    let a = agency(&app).await;
    let admin = &a.owner;
    let listing = a.at("/clients?archived=false");
    let clients = || all_items(&app, admin, &listing);

    let dry = import(&app, &a.at(""), admin, "kind=clients&dry_run=true", CLIENTS).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body["status"], "validated");
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(
        (
            &dry.body["rows_read"],
            &dry.body["rows_written"],
            &dry.body["rows_failed"]
        ),
        (&json!(4), &json!(0), &json!(2))
    );
    assert_eq!(
        errors(&dry.body),
        [(3, Some("email".to_owned())), (5, Some("name".to_owned()))]
    );
    assert_eq!(clients().await.len(), 0, "a dry run writes nothing");

    // All or nothing, with a failing row: nothing.
    let none = import(
        &app,
        &a.at(""),
        admin,
        "kind=clients&all_or_nothing=true",
        CLIENTS,
    )
    .await;
    assert_eq!(none.status, 200, "{}", none.text);
    assert_eq!(none.body["status"], "rolled_back");
    assert_eq!(none.body["rows_written"], 0);
    assert_eq!(errors(&none.body), errors(&dry.body));
    assert_eq!(clients().await.len(), 0);

    // A commit keeps the valid rows.
    let kept = import(&app, &a.at(""), admin, "kind=clients", CLIENTS).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body["status"], "committed");
    assert_eq!(kept.body["rows_written"], 2);
    assert_eq!(kept.body["rows_failed"], 2);
    let names: Vec<String> = all_items(&app, admin, &a.at("/clients?archived=false"))
        .await
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Acme", "Initech"]);
    let acme = all_items(&app, admin, &a.at("/clients?archived=false")).await[0].clone();
    assert_eq!(acme["email"], "ops@acme.example");
    assert_eq!(acme["hourly_rate_minor"], 9500);

    // Each import is in the history, newest first, its errors kept.
    let history = call(&app, admin, Method::GET, &a.at("/imports?limit=2"), None).await;
    assert_eq!(history.status, 200, "{}", history.text);
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], kept.body["id"]);
    assert_eq!(items[0]["status"], "committed");
    assert_eq!(items[0]["user_id"], admin.id.as_str());
    assert_eq!(items[0]["kind"], "clients");
    assert_eq!(items[1]["status"], "rolled_back");
    assert!(
        items[0].get("errors").is_none(),
        "the list leaves reports out"
    );
    let cursor = history.body["next_cursor"].as_str().unwrap();
    let rest = call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/imports?limit=2&cursor={cursor}")),
        None,
    )
    .await;
    assert_eq!(rest.body["items"][0]["status"], "validated");
    assert_eq!(rest.body.get("next_cursor"), None);
    let one = call(
        &app,
        admin,
        Method::GET,
        &a.at(&format!("/imports/{}", id(&dry.body))),
        None,
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body, dry.body);

    // Imports and their history are for admins.
    import(&app, &a.at(""), &a.member, "kind=clients", CLIENTS)
        .await
        .assert_problem(403, "org.role_required");
    call(&app, &a.member, Method::GET, &a.at("/imports"), None)
        .await
        .assert_problem(403, "org.role_required");
}

#[tokio::test]
async fn bad_files_and_requests_are_refused_before_any_row() {
    let app = TestApp::spawn_with(&[
        ("TRELLIS_RATE_LIMITS", "off"),
        ("TRELLIS_IMPORT_LIMIT", "2048"),
    ])
    .await;
    let a = agency(&app).await;
    let admin = &a.owner;

    let header = import(
        &app,
        &a.at(""),
        admin,
        "kind=clients",
        "name,colour\nAcme,red\n",
    )
    .await;
    header.assert_problem(422, "request.validation_failed");
    assert!(
        fields(&header).iter().all(|f| f == "header"),
        "{}",
        header.text
    );
    import(&app, &a.at(""), admin, "", CLIENTS)
        .await
        .assert_problem(400, "request.invalid_parameter");
    import(&app, &a.at(""), admin, "kind=invoices", CLIENTS)
        .await
        .assert_problem(400, "request.invalid_parameter");
    send(
        app.authed(Method::POST, &a.at("/import?kind=clients"), &admin.token)
            .json(&json!({"name": "Acme"})),
    )
    .await
    .assert_problem(415, "request.unsupported_media_type");
    let history = call(&app, admin, Method::GET, &a.at("/imports"), None).await;
    assert_eq!(
        history.body["items"],
        json!([]),
        "refused requests leave no history"
    );

    // Over TRELLIS_IMPORT_LIMIT: with a length, refused at once; chunked,
    // refused once read that far, and nothing is written.
    let mut big = String::from("name,currency\n");
    for n in 0..200 {
        big.push_str(&format!("Client {n},EUR\n"));
    }
    assert!(big.len() > 2048);
    import(&app, &a.at(""), admin, "kind=clients", &big)
        .await
        .assert_problem(413, "request.body_too_large");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.as_bytes().chunks(256).map(|c| Ok(c.to_vec())).collect();
    send(
        app.authed(Method::POST, &a.at("/import?kind=clients"), &admin.token)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            ))),
    )
    .await
    .assert_problem(413, "request.body_too_large");
    assert_eq!(
        all_items(&app, admin, &a.at("/clients?archived=false")).await,
        Vec::<Value>::new()
    );
    let aborted = call(&app, admin, Method::GET, &a.at("/imports"), None).await;
    assert_eq!(
        aborted.body["items"][0]["status"], "aborted",
        "{}",
        aborted.text
    );

    // A form with the file as its `file` part works as the bare file does.
    let boundary = "trellis-import-boundary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clients.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{CLIENTS}\r\n--{boundary}--\r\n"
    );
    let posted = send(
        app.authed(
            Method::POST,
            &a.at("/import?kind=clients&dry_run=true"),
            &admin.token,
        )
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form),
    )
    .await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    assert_eq!(posted.body["rows_read"], 4);
    assert_eq!(posted.body["rows_failed"], 2);
}

#[tokio::test]
async fn the_export_imports_back_as_it_is_with_people_named_by_email() {
    let app = spawn().await;
    let a = agency(&app).await;
    let admin = &a.owner;
    let (client, project) = client_and_project(&app, &a, admin).await;
    let projects = format!(
        "client_id,client_name,name,code\n{client},,Shop,SHOP\n,Acme,Audit,=AUDIT\n,Nobody,Ghost,\n"
    );
    let made = import(&app, &a.at(""), admin, "kind=projects", &projects).await;
    assert_eq!(made.body["rows_written"], 2, "{}", made.text);
    assert_eq!(errors(&made.body), [(4, Some("client_name".to_owned()))]);
    create(
        &app,
        admin,
        &a.at("/tasks"),
        json!({"project_id": project, "title": "@home"}),
    )
    .await;

    // People by email (any case); an email no member has fails its row.
    let entries = format!(
        "user_email,project_id,project_code,task_title,description,start_at,end_at,billable\n\
         {member},{project},,@home,=SUM(A1:A9),2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,\n\
         {colleague},,SHOP,,- fixed the cart,2026-11-02T09:30:00Z,2026-11-02T11:00:00Z,false\n\
         ,,=AUDIT,,''=quoted already,2026-11-03T09:00:00Z,2026-11-03T09:15:00Z,\n\
         {outsider},{project},,,stranger,2026-11-04T09:00:00Z,2026-11-04T10:00:00Z,\n\
         nobody@example.com,{project},,,ghost,2026-11-04T09:00:00Z,2026-11-04T10:00:00Z,\n",
        member = a.member.email.to_uppercase(),
        colleague = a.colleague.email,
        outsider = a.outsider.email,
    );
    let imported = import(&app, &a.at(""), admin, "kind=time_entries", &entries).await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.body["rows_written"], 3, "{}", imported.text);
    assert_eq!(
        errors(&imported.body),
        [
            (5, Some("user_email".to_owned())),
            (6, Some("user_email".to_owned()))
        ]
    );
    let listed = all_items(&app, admin, &a.at("/time-entries?billable=true")).await;
    let owners: Vec<&str> = listed
        .iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        owners,
        [admin.id.as_str(), a.member.id.as_str()],
        "newest first"
    );
    assert_eq!(listed[1]["description"], "=SUM(A1:A9)", "stored as written");

    // The export: the import's columns, formulas guarded, in start order.
    let range = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
    let first = export(&app, &a.at(""), &a.member, range).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        first.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        first
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"time-entries-")),
        "{:?}",
        first.header("content-disposition")
    );
    let lines: Vec<&str> = first.text.lines().collect();
    assert_eq!(
        lines[0],
        "user_id,user_email,project_id,project_code,task_id,task_title,description,start_at,end_at,billable"
    );
    assert_eq!(lines.len(), 4, "{}", first.text);
    assert!(lines[1].starts_with(&format!("{},{},{project},", a.member.id, a.member.email)));
    assert!(
        lines[1].contains(",'@home,'=SUM(A1:A9),2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,true"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(",SHOP,,,'- fixed the cart,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(",'=AUDIT,,,''=quoted already,"),
        "{}",
        lines[3]
    );
    // Filters narrow it; a member reads everyone's.
    let mine = export(
        &app,
        &a.at(""),
        &a.member,
        &format!("{range}&user_id={}", a.colleague.id),
    )
    .await;
    assert_eq!(mine.text.lines().count(), 2, "{}", mine.text);
    let unbilled = export(
        &app,
        &a.at(""),
        &a.member,
        &format!("{range}&billable=false"),
    )
    .await;
    assert_eq!(unbilled.text.lines().count(), 2, "{}", unbilled.text);

    // Round trip: delete the entries, import the export, export again.
    for entry in all_items(&app, admin, &a.at("/time-entries?running=false")).await {
        let gone = call(
            &app,
            admin,
            Method::DELETE,
            &a.at(&format!("/time-entries/{}", id(&entry))),
            None,
        )
        .await;
        assert_eq!(gone.status, 204, "{}", gone.text);
    }
    let back = import(
        &app,
        &a.at(""),
        admin,
        "kind=time_entries&all_or_nothing=true",
        &first.text,
    )
    .await;
    assert_eq!(back.body["status"], "committed", "{}", back.text);
    assert_eq!(back.body["rows_written"], 3);
    let again = export(&app, &a.at(""), admin, range).await;
    assert_eq!(again.text, first.text);
    let restored = all_items(&app, admin, &a.at("/time-entries?billable=true")).await;
    assert_eq!(restored[1]["description"], "=SUM(A1:A9)");

    // Exports need a sensible range.
    let backwards = export(
        &app,
        &a.at(""),
        &a.member,
        "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
    )
    .await;
    backwards.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&backwards), ["to"]);
    export(&app, &a.at(""), &a.member, "from=2026-12-01T00:00:00Z")
        .await
        .assert_problem(400, "request.invalid_parameter");
}

#[tokio::test]
async fn imports_and_exports_stay_inside_their_organization() {
    let app = spawn().await;
    let a = agency(&app).await;
    let admin = &a.owner;
    let (client, project) = client_and_project(&app, &a, admin).await;
    create(
        &app,
        admin,
        &a.at("/time-entries"),
        json!({"project_id": project, "start_at": "2026-11-02T09:00:00Z", "end_at": "2026-11-02T10:00:00Z"}),
    )
    .await;
    let done = import(&app, &a.at(""), admin, "kind=clients", CLIENTS).await;
    assert_eq!(done.status, 200, "{}", done.text);

    // Not a member of the other organization: it does not exist.
    let rival = a.other("");
    import(&app, &rival, admin, "kind=clients", CLIENTS)
        .await
        .assert_problem(404, "org.not_found");
    export(
        &app,
        &rival,
        &a.member,
        "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
    )
    .await
    .assert_problem(404, "org.not_found");

    // Its own admin sees none of the agency's imports, ids or time.
    let outsider = &a.outsider;
    call(
        &app,
        outsider,
        Method::GET,
        &a.other(&format!("/imports/{}", id(&done.body))),
        None,
    )
    .await
    .assert_problem(404, "time_import.not_found");
    let theirs = call(&app, outsider, Method::GET, &a.other("/imports"), None).await;
    assert_eq!(theirs.body["items"], json!([]));
    let foreign = import(
        &app,
        &rival,
        outsider,
        "kind=projects",
        &format!("client_id,name\n{client},Stolen\n"),
    )
    .await;
    assert_eq!(foreign.body["rows_written"], 0, "{}", foreign.text);
    assert_eq!(errors(&foreign.body), [(2, Some("client_id".to_owned()))]);
    let entries = format!(
        "user_email,project_id,start_at,end_at\n{},{project},2026-11-05T09:00:00Z,2026-11-05T10:00:00Z\n{},{project},2026-11-05T09:00:00Z,2026-11-05T10:00:00Z\n",
        a.member.email, outsider.email
    );
    let foreign = import(&app, &rival, outsider, "kind=time_entries", &entries).await;
    assert_eq!(foreign.body["rows_written"], 0, "{}", foreign.text);
    assert_eq!(
        errors(&foreign.body),
        [
            (2, Some("user_email".to_owned())),
            (2, Some("project_id".to_owned())),
            (3, Some("project_id".to_owned()))
        ]
    );
    let empty = export(
        &app,
        &rival,
        outsider,
        "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
    )
    .await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(
        empty.text.lines().count(),
        1,
        "only the header: {}",
        empty.text
    );
}

/// 50,000 rows sent chunked (read as they arrive, never buffered whole):
/// every one written, and the report's totals add up. (The service's own
/// test of the same size checks memory stays bounded.)
#[tokio::test]
async fn fifty_thousand_rows_stream_in_over_http() {
    const ROWS: i64 = 50_000;
    let app = spawn().await;
    let a = agency(&app).await;
    let admin = &a.owner;
    let (_, project) = client_and_project(&app, &a, admin).await;
    let base = chrono::DateTime::parse_from_rfc3339("2025-01-06T08:00:00Z").unwrap();
    let mut chunks: Vec<Result<String, std::io::Error>> =
        vec![Ok("project_id,description,start_at,end_at\n".to_owned())];
    for block in 0..ROWS / 1_000 {
        let mut chunk = String::new();
        for i in block * 1_000..(block + 1) * 1_000 {
            let start = base + chrono::Duration::minutes(30 * i);
            let end = start + chrono::Duration::minutes(25);
            chunk.push_str(&format!(
                "{project},\"row {i}, =1+1\",{},{}\n",
                start.to_rfc3339(),
                end.to_rfc3339()
            ));
        }
        chunks.push(Ok(chunk));
    }
    let done = send(
        app.authed(
            Method::POST,
            &a.at("/import?kind=time_entries"),
            &admin.token,
        )
        .header(header::CONTENT_TYPE, "text/csv")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        ))),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(
        (
            &done.body["status"],
            &done.body["rows_written"],
            &done.body["rows_failed"]
        ),
        (&json!("committed"), &json!(ROWS), &json!(0)),
        "{}",
        done.text
    );
    let report = call(
        &app,
        admin,
        Method::GET,
        &a.at("/reports/summary?from=2025-01-06&to=2027-12-31&group_by=user"),
        None,
    )
    .await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(report.body["total"]["seconds"], ROWS * 25 * 60);
    assert_eq!(report.body["groups"][0]["key"], admin.id.as_str());
}
