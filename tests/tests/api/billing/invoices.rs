//! Invoices over HTTP: drafts and their lines, numbering, the status
//! machine and its problems, drafts from tracked time (marked billed, and
//! released by a void), the PDF, the client's emails and the overdue job.

use reqwest::Method;
use serde_json::{Value, json};
use trellis_tests::{TestApp, send};

use crate::time::{Agency, agency, call, client_and_project, create, fields, id, spawn};

const CRON_SECRET: &str = "0123456789abcdef-cron-secret";

fn line(description: &str, quantity_milli: i64, unit_price_minor: i64) -> Value {
    json!({"description": description, "quantity_milli": quantity_milli,
           "unit_price_minor": unit_price_minor})
}

/// A client with an email (EUR, 60.00/h) and a draft for it with one line.
async fn client_with_email(app: &TestApp, a: &Agency) -> String {
    id(&create(
        app,
        &a.owner,
        &a.at("/clients"),
        json!({"name": "Acme", "email": "billing@acme.example", "currency": "EUR",
               "hourly_rate_minor": 6000, "address": "1 Main St\nLisbon"}),
    )
    .await)
}

async fn draft(app: &TestApp, a: &Agency, client: &str, items: Value) -> Value {
    create(
        app,
        &a.owner,
        &a.at("/invoices"),
        json!({"client_id": client, "issue_date": "2026-11-23", "due_date": "2026-12-23",
               "tax_bp": 1000, "items": items}),
    )
    .await
}

async fn status(app: &TestApp, a: &Agency, invoice: &str, to: &str) -> trellis_tests::Reply {
    call(
        app,
        &a.owner,
        Method::POST,
        &a.at(&format!("/invoices/{invoice}/status")),
        Some(json!({"status": to})),
    )
    .await
}

#[tokio::test]
async fn drafts_are_created_numbered_edited_and_listed() {
    let app = spawn().await;
    let a = agency(&app).await;
    let client = client_with_email(&app, &a).await;
    let inv = draft(
        &app,
        &a,
        &client,
        json!([line("Design", 1500, 33), line("Hosting", 1000, 12345)]),
    )
    .await;
    assert_eq!(inv["number"], "INV-2026-0001");
    assert_eq!(inv["status"], "draft");
    assert_eq!(inv["currency"], "EUR", "the client's");
    assert_eq!(inv["bill_to"]["name"], "Acme");
    assert_eq!(
        (
            &inv["subtotal_minor"],
            &inv["tax_minor"],
            &inv["total_minor"]
        ),
        (&json!(12395), &json!(1240), &json!(13635)),
        "0.495 rounds to 0.50; 10% of 123.95 rounds to 12.40"
    );
    let path = a.at(&format!("/invoices/{}", id(&inv)));
    let second = draft(&app, &a, &client, json!([])).await;
    assert_eq!(second["number"], "INV-2026-0002");
    assert_eq!(second["total_minor"], 0);

    // Lines: add, fix, remove; totals follow.
    let added = call(
        &app,
        &a.owner,
        Method::POST,
        &format!("{path}/items"),
        Some(line("Support", 250, 10000)),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["total_minor"], 16385);
    let first_item = added.body["items"][0]["id"].as_str().unwrap().to_owned();
    let fixed = call(
        &app,
        &a.owner,
        Method::PATCH,
        &format!("{path}/items/{first_item}"),
        Some(json!({"quantity_milli": 2000, "description": "Design work"})),
    )
    .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    assert_eq!(fixed.body["items"][0]["amount_minor"], 66);
    assert_eq!(fixed.body["items"][0]["description"], "Design work");
    let removed = call(
        &app,
        &a.owner,
        Method::DELETE,
        &format!("{path}/items/{first_item}"),
        None,
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(removed.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(removed.body["subtotal_minor"], 14845);
    call(
        &app,
        &a.owner,
        Method::DELETE,
        &format!("{path}/items/{first_item}"),
        None,
    )
    .await
    .assert_problem(404, "invoice_item.not_found");

    let patched = call(
        &app,
        &a.owner,
        Method::PATCH,
        &path,
        Some(json!({"tax_bp": 0, "notes": "Thank you", "due_date": "2026-12-31"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(
        (&patched.body["tax_minor"], &patched.body["notes"]),
        (&json!(0), &json!("Thank you"))
    );
    let cleared = call(
        &app,
        &a.owner,
        Method::PATCH,
        &path,
        Some(json!({"notes": null})),
    )
    .await;
    assert!(cleared.body.get("notes").is_none(), "{}", cleared.text);

    // Fields are named: a 422 before any work.
    let bad = call(
        &app,
        &a.owner,
        Method::PATCH,
        &path,
        Some(json!({"due_date": "2026-01-01"})),
    )
    .await;
    bad.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&bad), ["due_date"]);
    let bad = call(
        &app,
        &a.owner,
        Method::PATCH,
        &path,
        Some(json!({"issue_date": "2027-01-01", "due_date": "2027-02-01"})),
    )
    .await;
    assert_eq!(fields(&bad), ["issue_date"], "the number's year stays");
    let bad = call(
        &app,
        &a.owner,
        Method::POST,
        &format!("{path}/items"),
        Some(line("", 0, -1)),
    )
    .await;
    bad.assert_problem(422, "request.validation_failed");
    let bad = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices"),
        Some(json!({"client_id": client, "tax_bp": 10001})),
    )
    .await;
    assert_eq!(fields(&bad), ["tax_bp"]);

    // Members read, admins write; the list filters and pages, newest first.
    let m = &a.member;
    let got = call(&app, m, Method::GET, &path, None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body, cleared.body);
    call(
        &app,
        m,
        Method::POST,
        &a.at("/invoices"),
        Some(json!({"client_id": client})),
    )
    .await
    .assert_problem(403, "org.role_required");
    let page = call(&app, m, Method::GET, &a.at("/invoices?limit=1"), None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["items"][0]["number"], "INV-2026-0002");
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = call(
        &app,
        m,
        Method::GET,
        &a.at(&format!("/invoices?limit=1&cursor={cursor}")),
        None,
    )
    .await;
    assert_eq!(next.body["items"][0]["number"], "INV-2026-0001");
    assert!(next.body.get("next_cursor").is_none());
    let other_client = id(&create(
        &app,
        &a.owner,
        &a.at("/clients"),
        json!({"name": "Beta", "currency": "USD"}),
    )
    .await);
    let usd = draft(&app, &a, &other_client, json!([])).await;
    assert_eq!(usd["currency"], "USD");
    let only = call(
        &app,
        m,
        Method::GET,
        &a.at(&format!("/invoices?client_id={other_client}&status=draft")),
        None,
    )
    .await;
    assert_eq!(
        only.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        only.text
    );
    let none = call(&app, m, Method::GET, &a.at("/invoices?status=paid"), None).await;
    assert_eq!(none.body["items"], json!([]));

    // Another organization's invoices and clients do not exist here.
    let theirs = id(&create(
        &app,
        &a.outsider,
        &a.other("/clients"),
        json!({"name": "Rival client", "currency": "EUR"}),
    )
    .await);
    call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices"),
        Some(json!({"client_id": theirs})),
    )
    .await
    .assert_problem(404, "agency_client.not_found");
    let their_inv = id(&create(
        &app,
        &a.outsider,
        &a.other("/invoices"),
        json!({"client_id": theirs}),
    )
    .await);
    call(
        &app,
        &a.owner,
        Method::GET,
        &a.at(&format!("/invoices/{their_inv}")),
        None,
    )
    .await
    .assert_problem(404, "invoice.not_found");
    call(
        &app,
        &a.owner,
        Method::GET,
        &a.at(&format!("/invoices/{their_inv}/pdf")),
        None,
    )
    .await
    .assert_problem(404, "invoice.not_found");
    call(&app, &a.outsider, Method::GET, &path, None)
        .await
        .assert_problem(404, "org.not_found");
    call(
        &app,
        &a.outsider,
        Method::GET,
        &a.other(&format!("/invoices/{}", id(&inv))),
        None,
    )
    .await
    .assert_problem(404, "invoice.not_found");
}

#[tokio::test]
async fn the_status_machine_answers_409_to_every_other_move_and_sending_emails_the_client() {
    let app = spawn().await;
    let a = agency(&app).await;
    let client = client_with_email(&app, &a).await;
    let empty = draft(&app, &a, &client, json!([])).await;
    let bad = status(&app, &a, &id(&empty), "sent").await;
    assert_eq!(fields(&bad), ["status"], "an empty draft is not sent");
    status(&app, &a, &id(&empty), "paid")
        .await
        .assert_problem(409, "invoice.invalid_transition");
    let bad = status(&app, &a, &id(&empty), "overdue").await;
    assert!(
        bad.status == 400 || bad.status == 422,
        "the job's status: {}",
        bad.text
    );

    let inv = draft(&app, &a, &client, json!([line("Design", 2000, 5000)])).await;
    let path = a.at(&format!("/invoices/{}", id(&inv)));
    let sent = status(&app, &a, &id(&inv), "sent").await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["status"], "sent");
    assert!(sent.body["sent_at"].is_string());
    let mail = app
        .mail("billing@acme.example", "Invoice INV-2026-0002 from Agency")
        .await;
    assert!(
        mail.text.contains(&format!("/invoices/{}", id(&inv))),
        "{}",
        mail.text
    );

    call(
        &app,
        &a.owner,
        Method::PATCH,
        &path,
        Some(json!({"tax_bp": 0})),
    )
    .await
    .assert_problem(409, "invoice.not_draft");
    call(
        &app,
        &a.owner,
        Method::POST,
        &format!("{path}/items"),
        Some(line("More", 1000, 1)),
    )
    .await
    .assert_problem(409, "invoice.not_draft");
    let item = sent.body["items"][0]["id"].as_str().unwrap();
    call(
        &app,
        &a.owner,
        Method::DELETE,
        &format!("{path}/items/{item}"),
        None,
    )
    .await
    .assert_problem(409, "invoice.not_draft");
    call(&app, &a.owner, Method::DELETE, &path, None)
        .await
        .assert_problem(409, "invoice.not_draft");
    status(&app, &a, &id(&inv), "sent")
        .await
        .assert_problem(409, "invoice.invalid_transition");
    call(
        &app,
        &a.member,
        Method::POST,
        &format!("{path}/status"),
        Some(json!({"status": "paid"})),
    )
    .await
    .assert_problem(403, "org.role_required");

    let paid = status(&app, &a, &id(&inv), "paid").await;
    assert_eq!(paid.body["status"], "paid", "{}", paid.text);
    status(&app, &a, &id(&inv), "void")
        .await
        .assert_problem(409, "invoice.invalid_transition");

    // Deleting: only the latest draft, so numbers stay gap-free.
    let last = draft(&app, &a, &client, json!([])).await;
    assert_eq!(last["number"], "INV-2026-0003");
    call(
        &app,
        &a.owner,
        Method::DELETE,
        &a.at(&format!("/invoices/{}", id(&empty))),
        None,
    )
    .await
    .assert_problem(409, "invoice.not_deletable");
    let deleted = call(
        &app,
        &a.owner,
        Method::DELETE,
        &a.at(&format!("/invoices/{}", id(&last))),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        draft(&app, &a, &client, json!([])).await["number"],
        "INV-2026-0003"
    );
    let void = status(&app, &a, &id(&empty), "void").await;
    assert_eq!(void.body["status"], "void", "{}", void.text);
}

#[tokio::test]
async fn a_draft_from_time_marks_it_billed_and_voiding_releases_it() {
    let app = spawn().await;
    let a = agency(&app).await;
    let (client, website) = client_and_project(&app, &a, &a.owner).await;
    let app_project = id(&create(
        &app,
        &a.owner,
        &a.at("/projects"),
        json!({"client_id": client, "name": "App", "hourly_rate_minor": 9000}),
    )
    .await);
    let mut entries = Vec::new();
    for (project, start, end) in [
        (&website, "2026-11-02T09:00:00Z", "2026-11-02T10:30:00Z"),
        (&website, "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z"),
        (&app_project, "2026-11-04T09:00:00Z", "2026-11-04T09:20:00Z"),
        (&website, "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    ] {
        entries.push(id(&create(
            &app,
            &a.member,
            &a.at("/time-entries"),
            json!({"project_id": project, "start_at": start, "end_at": end}),
        )
        .await));
    }
    let body = json!({"client_id": client, "from": "2026-11-01", "to": "2026-11-30",
                      "issue_date": "2026-12-01", "tax_bp": 500});
    let made = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices/from-time"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let inv = &made.body;
    assert_eq!(inv["number"], "INV-2026-0001");
    assert_eq!(
        (&inv["period_from"], &inv["period_to"]),
        (&json!("2026-11-01"), &json!("2026-11-30"))
    );
    assert_eq!(inv["currency"], "EUR");
    let lines: Vec<_> = inv["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["description"].clone(),
                i["quantity_milli"].clone(),
                i["unit_price_minor"].clone(),
                i["amount_minor"].clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                json!("Website, 2026-11-01 to 2026-11-30"),
                json!(2500),
                json!(6000),
                json!(15000)
            ),
            (
                json!("App, 2026-11-01 to 2026-11-30"),
                json!(333),
                json!(9000),
                json!(2997)
            ),
        ]
    );
    assert_eq!(
        (
            &inv["subtotal_minor"],
            &inv["tax_minor"],
            &inv["total_minor"]
        ),
        (&json!(17997), &json!(900), &json!(18897))
    );

    let billed_on = |entry: &str| {
        let path = a.at(&format!("/time-entries/{entry}"));
        let app = &app;
        let who = &a.owner;
        async move {
            let got = call(app, who, Method::GET, &path, None).await;
            assert_eq!(got.status, 200, "{}", got.text);
            got.body["billed_invoice_id"].as_str().map(str::to_owned)
        }
    };
    assert_eq!(billed_on(&entries[0]).await.as_deref(), inv["id"].as_str());
    assert_eq!(billed_on(&entries[2]).await.as_deref(), inv["id"].as_str());
    assert_eq!(
        billed_on(&entries[3]).await,
        None,
        "December is outside the period"
    );

    // Nothing left in November: 422 naming the period, and no number spent.
    let again = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices/from-time"),
        Some(body.clone()),
    )
    .await;
    again.assert_problem(422, "request.validation_failed");
    assert_eq!(fields(&again), ["from"]);
    assert!(again.text.contains("2026-11-30"), "{}", again.text);
    let bad = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices/from-time"),
        Some(json!({"client_id": client, "from": "2026-11-30", "to": "2026-11-01"})),
    )
    .await;
    assert_eq!(fields(&bad), ["to"]);
    call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices/from-time"),
        Some(json!({"client_id": uuid::Uuid::now_v7(), "from": "2026-11-01", "to": "2026-11-30"})),
    )
    .await
    .assert_problem(404, "agency_client.not_found");
    call(
        &app,
        &a.member,
        Method::POST,
        &a.at("/invoices/from-time"),
        Some(body.clone()),
    )
    .await
    .assert_problem(403, "org.role_required");

    // Voiding releases the time in the same transaction: it can be billed again.
    let void = status(&app, &a, inv["id"].as_str().unwrap(), "void").await;
    assert_eq!(void.body["status"], "void", "{}", void.text);
    assert_eq!(billed_on(&entries[0]).await, None);
    let rebilled = call(
        &app,
        &a.owner,
        Method::POST,
        &a.at("/invoices/from-time"),
        Some(body),
    )
    .await;
    assert_eq!(rebilled.status, 201, "{}", rebilled.text);
    assert_eq!(rebilled.body["number"], "INV-2026-0002");
    assert_eq!(rebilled.body["total_minor"], 18897);
}

#[tokio::test]
async fn the_pdf_is_a_real_pdf_with_the_number_and_total() {
    let app = spawn().await;
    let a = agency(&app).await;
    let client = client_with_email(&app, &a).await;
    let inv = draft(
        &app,
        &a,
        &client,
        json!([line("Design", 1500, 10000), line("Hosting", 1000, 2500)]),
    )
    .await;
    let pdf = call(
        &app,
        &a.member,
        Method::GET,
        &a.at(&format!("/invoices/{}/pdf", id(&inv))),
        None,
    )
    .await;
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(
        pdf.header("content-disposition")
            .unwrap()
            .contains("INV-2026-0001.pdf")
    );
    assert!(
        pdf.text.starts_with("%PDF-"),
        "{}",
        &pdf.text[..20.min(pdf.text.len())]
    );
    assert!(pdf.text.contains("(INV-2026-0001)"), "the number, as text");
    assert!(
        pdf.text.contains("(192.50 EUR)"),
        "the total: (150.00 + 25.00) + 10%"
    );
    assert!(pdf.text.contains("(Acme)"), "the client");
    assert!(pdf.text.trim_end().ends_with("%%EOF"));
}

#[tokio::test]
async fn the_overdue_job_marks_sent_invoices_past_due_once_and_emails_the_client() {
    let app =
        TestApp::spawn_with(&[("TRELLIS_RATE_LIMITS", "off"), ("CRON_SECRET", CRON_SECRET)]).await;
    let a = agency(&app).await;
    let client = client_with_email(&app, &a).await;
    let inv = create(
        &app,
        &a.owner,
        &a.at("/invoices"),
        json!({"client_id": client, "issue_date": "2025-01-02", "due_date": "2025-02-01",
               "items": [line("Design", 1000, 10000)]}),
    )
    .await;
    assert_eq!(inv["number"], "INV-2025-0001", "the year of issue");
    let sent = status(&app, &a, &id(&inv), "sent").await;
    assert_eq!(sent.status, 200, "{}", sent.text);

    let run = || {
        send(
            app.internal(Method::POST, "/internal/cron/invoices_overdue")
                .header("x-cron-secret", CRON_SECRET),
        )
    };
    let first = run().await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["report"], json!({"overdue": 1}));
    let second = run().await;
    assert_eq!(
        second.body["report"],
        json!({"overdue": 0}),
        "each invoice once"
    );
    let got = call(
        &app,
        &a.member,
        Method::GET,
        &a.at(&format!("/invoices/{}", id(&inv))),
        None,
    )
    .await;
    assert_eq!(got.body["status"], "overdue");
    assert!(got.body["overdue_at"].is_string());
    app.mail("billing@acme.example", "Overdue: invoice INV-2025-0001")
        .await;
    let paid = status(&app, &a, &id(&inv), "paid").await;
    assert_eq!(
        paid.body["status"], "paid",
        "overdue can be paid: {}",
        paid.text
    );
}
