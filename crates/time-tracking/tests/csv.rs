//! CSV imports (dry runs, commits, all or nothing, the history, references
//! resolved in the importing organization only) and the time-entry export,
//! which imports as it is.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::{World, entry, new_project, new_task, t, world};
use futures_util::TryStreamExt;
use poem_openapi::types::MaybeUndefined;
use trellis_kernel::{
    DomainError, PageRequest,
    ports::{OrgAccess, OrgRole},
};
use trellis_time_tracking::{
    Error,
    columns::{CLIENT_HEADER, PROJECT_HEADER, TIME_ENTRY_HEADER},
    model::{
        AgencyClientFilter, CreateTimeEntry, ImportKind, ImportOptions, ImportReport, ImportStatus,
        ProjectFilter, ProjectStatus, TimeEntryFilter, TimeEntryView, UpdateProject,
        UpdateTimeSettings,
    },
    service::MAX_REPORTED_ERRORS,
};

#[derive(Clone, Copy)]
enum Mode {
    DryRun,
    Commit,
    AllOrNothing,
}

async fn import(
    w: &World,
    access: &OrgAccess,
    kind: ImportKind,
    mode: Mode,
    csv: &str,
) -> Result<ImportReport, Error> {
    let options = ImportOptions {
        kind,
        dry_run: matches!(mode, Mode::DryRun),
        all_or_nothing: matches!(mode, Mode::AllOrNothing),
    };
    w.tt.csv
        .import(&w.db, access, options, csv.as_bytes())
        .await
}

/// The report's errors as `(row, field, message)`.
fn errors(report: &ImportReport) -> Vec<(u64, Option<&str>, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_deref(), e.message.as_str()))
        .collect()
}

/// The report's errors as `(row, field)`.
fn faults(report: &ImportReport) -> Vec<(u64, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_deref().unwrap_or("-")))
        .collect()
}

fn counts(report: &ImportReport) -> (ImportStatus, u64, u64, u64) {
    (
        report.status,
        report.rows_read,
        report.rows_written,
        report.rows_failed,
    )
}

async fn client_names(w: &World, access: &OrgAccess) -> Vec<String> {
    w.tt.clients
        .list(
            &w.db,
            access,
            AgencyClientFilter::default(),
            &PageRequest::parse(Some(200), None).unwrap(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// Every entry of the organization, newest first.
async fn entries(w: &World, access: &OrgAccess) -> Vec<TimeEntryView> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            w.tt.entries
                .list(
                    &w.db,
                    access,
                    TimeEntryFilter::default(),
                    &PageRequest::parse(Some(200), cursor).unwrap(),
                )
                .await
                .unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
}

async fn export(w: &World, access: &OrgAccess, filter: TimeEntryFilter) -> String {
    let chunks: Vec<_> =
        w.tt.csv
            .export_time_entries(w.db.clone(), access, filter)
            .unwrap()
            .try_collect()
            .await
            .unwrap();
    String::from_utf8(chunks.concat()).unwrap()
}

fn november() -> TimeEntryFilter {
    TimeEntryFilter {
        from: Some(t("2026-11-01T00:00:00Z")),
        to: Some(t("2026-12-01T00:00:00Z")),
        ..TimeEntryFilter::default()
    }
}

const CLIENTS: &str = "name,email,phone,address,currency,hourly_rate_minor
Acme,OPS@acme.example,+351 912 345 678,\"Rua 1, 1000-001 Lisboa\",EUR,9500
Globex,not-an-email,,,USD,
Initech,,,,,100
Umbrella,,,,GBP,lots
Hooli,,,,usd,
";

#[tokio::test]
async fn a_dry_run_reports_what_a_commit_writes_and_refuses() {
    let w = world().await;
    let admin = w.agency().await;

    let dry = import(&w, &admin, ImportKind::Clients, Mode::DryRun, CLIENTS)
        .await
        .unwrap();
    assert_eq!(counts(&dry), (ImportStatus::Validated, 5, 0, 3));
    assert_eq!(
        errors(&dry),
        [
            (3, Some("email"), "must be a valid email address"),
            (4, Some("currency"), "is required"),
            (5, Some("hourly_rate_minor"), "must be a whole number"),
        ]
    );
    assert!(dry.dry_run && !dry.all_or_nothing);
    assert!(
        client_names(&w, &admin).await.is_empty(),
        "a dry run keeps nothing"
    );

    let none = import(&w, &admin, ImportKind::Clients, Mode::AllOrNothing, CLIENTS)
        .await
        .unwrap();
    assert_eq!(counts(&none), (ImportStatus::RolledBack, 5, 0, 3));
    assert_eq!(none.errors, dry.errors);
    assert!(
        client_names(&w, &admin).await.is_empty(),
        "all or nothing: nothing"
    );

    let done = import(&w, &admin, ImportKind::Clients, Mode::Commit, CLIENTS)
        .await
        .unwrap();
    assert_eq!(counts(&done), (ImportStatus::Committed, 5, 2, 3));
    assert_eq!(done.errors, dry.errors);
    let clients =
        w.tt.clients
            .list(
                &w.db,
                &admin,
                AgencyClientFilter::default(),
                &PageRequest::default(),
            )
            .await
            .unwrap()
            .items;
    assert_eq!(clients.len(), 2);
    let acme = &clients[0];
    assert_eq!(acme.name, "Acme");
    assert_eq!(acme.email.as_deref(), Some("ops@acme.example"));
    assert_eq!(acme.phone.as_deref(), Some("+351912345678"));
    assert_eq!(acme.address.as_deref(), Some("Rua 1, 1000-001 Lisboa"));
    assert_eq!(
        (acme.currency.as_str(), acme.hourly_rate_minor),
        ("EUR", Some(9_500))
    );
    assert_eq!(clients[1].currency, "USD", "codes are upper-cased");

    // An all-or-nothing import without errors writes everything.
    let clean = import(
        &w,
        &admin,
        ImportKind::Clients,
        Mode::AllOrNothing,
        "NAME , Currency\nSoylent,EUR\n",
    )
    .await
    .unwrap();
    assert_eq!(counts(&clean), (ImportStatus::Committed, 1, 1, 0));
    assert_eq!(client_names(&w, &admin).await.len(), 3);
}

#[tokio::test]
async fn projects_find_their_client_and_keep_codes_unique() {
    let w = world().await;
    let admin = w.agency().await;
    let acme = w.client(&admin, "EUR", Some(10_000)).await; // "Client EUR"
    w.client(&admin, "USD", None).await;
    w.client(&admin, "USD", None).await; // two clients named "Client USD"
    let mut taken = new_project(acme.id, "Old site", None);
    taken.code = Some("OLD".into());
    w.tt.projects.create(&w.db, &admin, taken).await.unwrap();

    let csv = format!(
        "{PROJECT_HEADER}
,Client EUR,Website,WEB,false,12000,40,#AABBCC
{acme},,Shop,SHOP,,,,
,Client EUR,Again,WEB,,,,
,Client EUR,Clash,OLD,,,,
,Client USD,Ambiguous,,,,,
,Nobody,Orphan,,,,,
{other},,Lost,,,,,
,Client EUR,,,maybe,1.5,,red
",
        acme = acme.id,
        other = uuid::Uuid::now_v7(),
    );
    let dry = import(&w, &admin, ImportKind::Projects, Mode::DryRun, &csv)
        .await
        .unwrap();
    let done = import(&w, &admin, ImportKind::Projects, Mode::Commit, &csv)
        .await
        .unwrap();
    assert_eq!(
        dry.errors, done.errors,
        "a dry run finds what a commit finds"
    );
    assert_eq!(counts(&done), (ImportStatus::Committed, 8, 2, 6));
    assert_eq!(
        faults(&done),
        [
            (4, "code"),
            (5, "code"),
            (6, "client_name"),
            (7, "client_name"),
            (8, "client_id"),
            (9, "name"),
            (9, "billable"),
            (9, "hourly_rate_minor"),
        ]
    );
    assert_eq!(done.errors[0].message, "another project has this code");
    assert!(done.errors[2].message.contains("several clients"));

    let projects =
        w.tt.projects
            .list(
                &w.db,
                &admin,
                ProjectFilter::default(),
                &PageRequest::default(),
            )
            .await
            .unwrap()
            .items;
    let web = projects
        .iter()
        .find(|p| p.code.as_deref() == Some("WEB"))
        .unwrap();
    assert_eq!(web.client_id, acme.id);
    assert!(!web.billable);
    assert_eq!(web.hourly_rate_minor, Some(12_000));
    assert_eq!(web.budget_hours, Some(40));
    assert_eq!(web.color.as_deref(), Some("#aabbcc"));
    let shop = projects
        .iter()
        .find(|p| p.code.as_deref() == Some("SHOP"))
        .unwrap();
    assert!(shop.billable, "billable by default");
    assert_eq!(projects.len(), 3);
}

#[tokio::test]
async fn time_entries_follow_the_rules_of_a_single_entry() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let stranger = w.user().await;
    let client = w.client(&admin, "EUR", Some(10_000)).await;
    let mut web = new_project(client.id, "Website", Some(12_000));
    web.code = Some("WEB".into());
    let web = w.tt.projects.create(&w.db, &admin, web).await.unwrap();
    let mut old = new_project(client.id, "Old", None);
    old.code = Some("OLD".into());
    let old = w.tt.projects.create(&w.db, &admin, old).await.unwrap();
    w.tt.projects
        .update(
            &w.db,
            &admin,
            old.id,
            UpdateProject {
                status: Some(ProjectStatus::Archived),
                ..UpdateProject::default()
            },
        )
        .await
        .unwrap();
    let design = w.task(&admin, web.id, "Design").await;
    let other_project = w.project(&admin, client.id, None).await;
    let elsewhere = w.task(&admin, other_project.id, "Design").await;
    // The member already logged 09:00-10:00 on the 20th.
    let logged = w
        .log(
            &member,
            web.id,
            "2026-11-20T09:00:00Z",
            "2026-11-20T10:00:00Z",
        )
        .await
        .unwrap();

    let m = member.user_id();
    let csv = format!(
        "{TIME_ENTRY_HEADER}
{m},,,WEB,,Design,\"Calls, \"\"kick-off\"\"\",2026-11-20T10:00:00Z,2026-11-20T11:30:00Z,
,,{web},,{design},,,2026-11-20T09:00:00+01:00,2026-11-20T09:30:00+01:00,false
{m},,,WEB,,,,2026-11-20T09:30:00Z,2026-11-20T10:30:00Z,
{m},,,WEB,,,,2026-11-20T11:00:00Z,2026-11-20T12:00:00Z,
{stranger},,,WEB,,,,2026-11-21T09:00:00Z,2026-11-21T10:00:00Z,
,,,OLD,,,,2026-11-21T09:00:00Z,2026-11-21T10:00:00Z,
,,,WEB,{elsewhere},,,2026-11-21T09:00:00Z,2026-11-21T10:00:00Z,
,,,WEB,,Nope,,2026-11-21T09:00:00Z,2026-11-21T10:00:00Z,
,,,WEB,,,,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z,
,,,WEB,,,,yesterday,2026-11-21T10:00:00Z,maybe
,,,,,,,2026-11-21T09:00:00Z,2026-11-21T10:00:00Z,
",
        web = web.id,
        design = design.id,
        elsewhere = elsewhere.id,
    );
    let dry = import(&w, &admin, ImportKind::TimeEntries, Mode::DryRun, &csv)
        .await
        .unwrap();
    let done = import(&w, &admin, ImportKind::TimeEntries, Mode::Commit, &csv)
        .await
        .unwrap();
    assert_eq!(dry.errors, done.errors);
    assert_eq!(counts(&dry), (ImportStatus::Validated, 11, 0, 9));
    assert_eq!(counts(&done), (ImportStatus::Committed, 11, 2, 9));
    assert_eq!(
        faults(&done),
        [
            (4, "start_at"),     // overlaps the stored 09:00-10:00
            (5, "start_at"),     // overlaps row 2 of the file
            (6, "user_id"),      // not a member
            (7, "project_code"), // archived
            (8, "task_id"),      // another project's task
            (9, "task_title"),   // no such title
            (10, "end_at"),      // no length
            (11, "start_at"),
            (11, "billable"),
            (12, "project_code"),
        ]
    );
    assert_eq!(
        done.errors[0].message,
        "this time overlaps another entry of the same person"
    );
    assert_eq!(done.errors[3].message, "this project is archived");

    let imported: Vec<_> = entries(&w, &admin)
        .await
        .into_iter()
        .filter(|e| e.id != logged.id)
        .collect();
    let calls = imported.iter().find(|e| e.user_id == m).unwrap();
    assert_eq!(calls.description.as_deref(), Some("Calls, \"kick-off\""));
    assert_eq!(calls.task_id, Some(design.id));
    assert_eq!(calls.duration_seconds, Some(5_400));
    assert_eq!(calls.rate_minor, Some(12_000), "the project's rate");
    assert!(calls.billable, "the project's default");
    let own = imported
        .iter()
        .find(|e| e.user_id == admin.user_id())
        .unwrap();
    assert_eq!(own.start_at.0, t("2026-11-20T08:00:00Z"));
    assert!(!own.billable);
    assert_eq!(own.currency, "EUR");
}

#[tokio::test]
async fn imports_round_and_respect_the_settings() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, "EUR", None).await;
    let mut web = new_project(client.id, "Website", None);
    web.code = Some("WEB".into());
    w.tt.projects.create(&w.db, &admin, web).await.unwrap();
    w.tt.settings
        .update(
            &w.db,
            &admin,
            UpdateTimeSettings {
                allow_overlaps: Some(true),
                rounding: MaybeUndefined::Value(trellis_time_tracking::model::RoundingRule {
                    mode: trellis_time_tracking::model::RoundingMode::Up,
                    minutes: 15,
                }),
                ..UpdateTimeSettings::default()
            },
        )
        .await
        .unwrap();
    let csv = format!(
        "{TIME_ENTRY_HEADER}
,,,WEB,,,,2026-11-20T09:01:00Z,2026-11-20T09:50:00Z,
,,,WEB,,,,2026-11-20T09:01:00Z,2026-11-20T09:50:00Z,
,,,WEB,,,,2026-11-20T09:00:00Z,2026-11-28T09:00:00Z,
"
    );
    let done = import(&w, &admin, ImportKind::TimeEntries, Mode::Commit, &csv)
        .await
        .unwrap();
    assert_eq!(counts(&done), (ImportStatus::Committed, 3, 2, 1));
    assert_eq!(
        errors(&done),
        [(4, Some("end_at"), "an entry may last at most 7 days")]
    );
    for e in entries(&w, &admin).await {
        assert_eq!(e.start_at.0, t("2026-11-20T09:15:00Z"), "rounded up");
        assert_eq!(e.end_at.unwrap().0, t("2026-11-20T10:00:00Z"));
    }
}

#[tokio::test]
async fn imports_know_only_the_importing_organizations_rows() {
    let w = world().await;
    let (ours, theirs) = (w.agency().await, w.agency().await);
    let their_client = w.client(&theirs, "EUR", None).await;
    let mut their_project = new_project(their_client.id, "Theirs", None);
    their_project.code = Some("THEIRS".into());
    let their_project =
        w.tt.projects
            .create(&w.db, &theirs, their_project)
            .await
            .unwrap();
    let their_task = w.task(&theirs, their_project.id, "Secret").await;
    let our_client = w.client(&ours, "EUR", None).await;
    let mut our_project = new_project(our_client.id, "Ours", None);
    our_project.code = Some("OURS".into());
    let our_project =
        w.tt.projects
            .create(&w.db, &ours, our_project)
            .await
            .unwrap();

    let entries_csv = format!(
        "{TIME_ENTRY_HEADER}
,,,THEIRS,,,,2026-11-20T09:00:00Z,2026-11-20T10:00:00Z,
,,{p},,,,,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,
,,,OURS,{task},,,2026-11-20T11:00:00Z,2026-11-20T12:00:00Z,
,,,OURS,,Secret,,2026-11-20T12:00:00Z,2026-11-20T13:00:00Z,
{user},,,OURS,,,,2026-11-20T13:00:00Z,2026-11-20T14:00:00Z,
",
        p = their_project.id,
        task = their_task.id,
        user = theirs.user_id(),
    );
    let report = import(
        &w,
        &ours,
        ImportKind::TimeEntries,
        Mode::Commit,
        &entries_csv,
    )
    .await
    .unwrap();
    assert_eq!(counts(&report), (ImportStatus::Committed, 5, 0, 5));
    assert_eq!(
        errors(&report),
        [
            (
                2,
                Some("project_code"),
                "no such project in the organization"
            ),
            (3, Some("project_id"), "no such project in the organization"),
            (4, Some("task_id"), "no such task"),
            (
                5,
                Some("task_title"),
                "no task of the project has this title"
            ),
            (6, Some("user_id"), "must be a member of the organization"),
        ]
    );

    let projects_csv = format!(
        "{PROJECT_HEADER}\n{c},,Poached,,,,,\n,Client EUR,Mine,THEIRS,,,,\n",
        c = their_client.id
    );
    let report = import(&w, &ours, ImportKind::Projects, Mode::Commit, &projects_csv)
        .await
        .unwrap();
    assert_eq!(
        errors(&report),
        [(2, Some("client_id"), "no such client in the organization")]
    );
    // Codes are unique per organization: theirs does not block ours.
    let mine =
        w.tt.projects
            .list(
                &w.db,
                &ours,
                ProjectFilter::default(),
                &PageRequest::default(),
            )
            .await
            .unwrap()
            .items;
    assert!(mine.iter().any(|p| p.code.as_deref() == Some("THEIRS")));
    assert!(mine.iter().all(|p| p.client_id == our_client.id));
    assert_eq!(our_project.client_id, our_client.id);
}

#[tokio::test]
async fn every_import_leaves_a_history_row_for_admins() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let other = w.agency().await;

    let first = import(&w, &admin, ImportKind::Clients, Mode::DryRun, CLIENTS)
        .await
        .unwrap();
    let second = import(&w, &admin, ImportKind::Clients, Mode::AllOrNothing, CLIENTS)
        .await
        .unwrap();
    let third = import(&w, &admin, ImportKind::Clients, Mode::Commit, CLIENTS)
        .await
        .unwrap();
    // A refused header is a refused request: no history.
    let refused = import(
        &w,
        &admin,
        ImportKind::Clients,
        Mode::Commit,
        "name,colour\nx,y\n",
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind().status(), 422);
    assert_eq!(refused.field_errors()[0].field, "header");
    import(
        &w,
        &other,
        ImportKind::Clients,
        Mode::Commit,
        "name,currency\nx,EUR\n",
    )
    .await
    .unwrap();

    let page = |cursor| PageRequest::parse(Some(2), cursor).unwrap();
    let newest = w.tt.csv.imports(&w.db, &admin, &page(None)).await.unwrap();
    assert_eq!(
        newest.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        [third.id, second.id]
    );
    let oldest =
        w.tt.csv
            .imports(&w.db, &admin, &page(newest.next_cursor))
            .await
            .unwrap();
    assert_eq!(
        oldest.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        [first.id]
    );
    assert!(oldest.next_cursor.is_none());
    let summary = &newest.items[1];
    assert_eq!(
        (
            summary.status,
            summary.rows_read,
            summary.rows_written,
            summary.rows_failed
        ),
        (ImportStatus::RolledBack, 5, 0, 3)
    );
    assert_eq!(summary.user_id, Some(admin.user_id()));
    assert!(summary.all_or_nothing && !summary.dry_run);

    let stored =
        w.tt.csv
            .import_report(&w.db, &admin, third.id)
            .await
            .unwrap();
    assert_eq!(stored, third, "the history keeps the report as returned");
    assert_eq!(stored.kind, ImportKind::Clients);
    assert!(matches!(
        w.tt.csv.import_report(&w.db, &other, third.id).await,
        Err(Error::ImportNotFound)
    ));

    // Members may neither import nor read the history.
    for err in [
        import(&w, &member, ImportKind::Clients, Mode::DryRun, CLIENTS)
            .await
            .unwrap_err(),
        w.tt.csv
            .imports(&w.db, &member, &PageRequest::default())
            .await
            .unwrap_err(),
        w.tt.csv
            .import_report(&w.db, &member, third.id)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.kind().status(), 403);
        assert_eq!(err.code(), "org.role_required");
    }
}

#[tokio::test]
async fn unreadable_rows_are_reported_and_reports_are_capped() {
    let w = world().await;
    let admin = w.agency().await;

    let mut bytes = b"name,currency\nAcme,EUR\nToo,many,fields\n".to_vec();
    bytes.extend_from_slice(b"Bad \xff bytes,EUR\n\nLast,EUR\n");
    let options = ImportOptions {
        kind: ImportKind::Clients,
        dry_run: false,
        all_or_nothing: false,
    };
    let report =
        w.tt.csv
            .import(&w.db, &admin, options, &bytes[..])
            .await
            .unwrap();
    assert_eq!(counts(&report), (ImportStatus::Committed, 4, 2, 2));
    assert_eq!(
        errors(&report),
        [
            (3, None, "has 3 fields; the header has 2"),
            (4, Some("name"), "is not UTF-8 text"),
        ]
    );
    // The blank line is skipped; line numbers stay the file's.
    assert_eq!(client_names(&w, &admin).await, ["Acme", "Last"]);

    let many = MAX_REPORTED_ERRORS + 234;
    let mut csv = String::from("name,currency\n");
    for _ in 0..many {
        csv.push_str("Nameless,XX\n");
    }
    let report = import(&w, &admin, ImportKind::Clients, Mode::DryRun, &csv)
        .await
        .unwrap();
    assert_eq!(report.rows_failed, many as u64);
    assert_eq!(report.errors.len(), MAX_REPORTED_ERRORS);
    assert_eq!(report.errors_omitted, 234);
    assert_eq!(
        report.errors.last().map(|e| e.row),
        Some(MAX_REPORTED_ERRORS as u64 + 1)
    );

    let empty = import(&w, &admin, ImportKind::Clients, Mode::Commit, "")
        .await
        .unwrap_err();
    assert_eq!(empty.kind().status(), 422);
    let header_only = import(&w, &admin, ImportKind::Clients, Mode::Commit, CLIENT_HEADER)
        .await
        .unwrap();
    assert_eq!(counts(&header_only), (ImportStatus::Committed, 0, 0, 0));
}

#[tokio::test]
async fn an_export_imports_as_it_is() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let client = w.client(&admin, "EUR", Some(10_000)).await;
    let mut web = new_project(client.id, "Website", None);
    web.code = Some("WEB".into());
    let web = w.tt.projects.create(&w.db, &admin, web).await.unwrap();
    let uncoded = w.project(&admin, client.id, Some(5_000)).await;
    let design =
        w.tt.tasks
            .create(&w.db, &admin, new_task(web.id, "Design, \"v2\""))
            .await
            .unwrap();

    let log = |access: OrgAccess, cmd: CreateTimeEntry| {
        let w = &w;
        async move { w.tt.entries.create(&w.db, &access, cmd).await.unwrap() }
    };
    let mut tricky = entry(
        web.id,
        Some(design.id),
        "2026-11-03T09:00:00Z",
        "2026-11-03T10:30:00Z",
    );
    tricky.description = Some("line one\nline two, with \"quotes\" — and ünïcode".into());
    log(admin, tricky).await;
    let mut theirs = entry(
        uncoded.id,
        None,
        "2026-11-03T09:00:00Z",
        "2026-11-03T09:45:00Z",
    );
    theirs.billable = Some(false);
    log(member, theirs).await;
    log(
        admin,
        entry(web.id, None, "2026-11-30T23:00:00Z", "2026-12-01T01:00:00Z"),
    )
    .await;
    // Outside the range, and running: not exported.
    log(
        admin,
        entry(web.id, None, "2026-10-31T09:00:00Z", "2026-10-31T10:00:00Z"),
    )
    .await;
    w.tt.entries
        .start_timer(
            &w.db,
            &member,
            trellis_time_tracking::model::StartTimer {
                project_id: web.id,
                task_id: None,
                description: None,
                billable: None,
            },
        )
        .await
        .unwrap();

    let exported = export(&w, &admin, november()).await;
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines[0], TIME_ENTRY_HEADER);
    let records = lines
        .iter()
        .filter(|l| l.ends_with(",true") || l.ends_with(",false"))
        .count();
    assert_eq!(records, 3, "three entries: {exported}");
    assert!(exported.contains(&format!(
        "{},,{},,,,,2026-11-03T09:00:00Z,2026-11-03T09:45:00Z,false",
        member.user_id(),
        uncoded.id
    )));
    assert!(exported.contains("\"Design, \"\"v2\"\"\""), "{exported}");

    // Members export too; a range is required.
    assert_eq!(export(&w, &member, november()).await, exported);
    let Err(no_range) =
        w.tt.csv
            .export_time_entries(w.db.clone(), &admin, TimeEntryFilter::default())
    else {
        panic!("an export needs a range");
    };
    assert_eq!(no_range.field_errors().len(), 2);

    // Remove November's stopped entries, then import the export back.
    let before = entries(&w, &admin).await;
    for e in &before {
        if e.end_at.is_some() && e.start_at.0 >= t("2026-11-01T00:00:00Z") {
            w.tt.entries.delete(&w.db, &admin, e.id).await.unwrap();
        }
    }
    assert_eq!(export(&w, &admin, november()).await.lines().count(), 1);
    let report = import(
        &w,
        &admin,
        ImportKind::TimeEntries,
        Mode::AllOrNothing,
        &exported,
    )
    .await
    .unwrap();
    assert_eq!(
        counts(&report),
        (ImportStatus::Committed, 3, 3, 0),
        "{:?}",
        report.errors
    );
    assert_eq!(
        export(&w, &admin, november()).await,
        exported,
        "the round trip is exact"
    );

    let after = entries(&w, &admin).await;
    let same = |e: &TimeEntryView| {
        (
            e.user_id,
            e.project_id,
            e.task_id,
            e.description.clone(),
            e.start_at.0,
            e.end_at.map(|t| t.0),
            e.duration_seconds,
            e.billable,
            e.rate_minor,
            e.currency.clone(),
        )
    };
    let mut a: Vec<_> = before.iter().map(same).collect();
    let mut b: Vec<_> = after.iter().map(same).collect();
    a.sort_by_key(|x| (x.4, x.0));
    b.sort_by_key(|x| (x.4, x.0));
    assert_eq!(a, b);
}

#[tokio::test]
async fn an_export_pages_through_large_ranges() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, "EUR", None).await;
    let project = w.project(&admin, client.id, None).await;
    let page = trellis_time_tracking::service::EXPORT_PAGE_ROWS as usize;
    // A page and a half, several entries sharing a start (the keyset's tie-break).
    let count = page + page / 2;
    let mut csv = format!("{TIME_ENTRY_HEADER}\n");
    for i in 0..count {
        let start = t("2026-11-02T00:00:00Z") + chrono::Duration::minutes(10 * (i as i64 / 2));
        let end = start + chrono::Duration::minutes(5);
        csv.push_str(&format!(
            ",,{},,,,,{},{},\n",
            project.id,
            start.to_rfc3339(),
            end.to_rfc3339()
        ));
    }
    w.tt.settings
        .update(
            &w.db,
            &admin,
            UpdateTimeSettings {
                allow_overlaps: Some(true),
                ..UpdateTimeSettings::default()
            },
        )
        .await
        .unwrap();
    let report = import(&w, &admin, ImportKind::TimeEntries, Mode::Commit, &csv)
        .await
        .unwrap();
    assert_eq!(report.rows_written, count as u64, "{:?}", report.errors);
    let chunks: Vec<_> =
        w.tt.csv
            .export_time_entries(w.db.clone(), &admin, november())
            .unwrap()
            .try_collect()
            .await
            .unwrap();
    assert_eq!(chunks.len(), 3, "the header, then a chunk per page");
    let text = String::from_utf8(chunks.concat()).unwrap();
    assert_eq!(text.lines().count(), count + 1);
    let mut starts: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(7))
        .collect();
    let sorted = {
        let mut s = starts.clone();
        s.sort();
        s
    };
    assert_eq!(starts, sorted, "in start order");
    starts.dedup();
    assert_eq!(starts.len(), count / 2, "each entry once");
}

/// An upload that breaks off (a client gone, a body over the limit).
struct Broken;

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "gone",
        )))
    }
}

#[tokio::test]
async fn an_upload_that_breaks_off_imports_nothing() {
    use tokio::io::AsyncReadExt;

    let w = world().await;
    let admin = w.agency().await;
    let input = (&b"name,currency\nAcme,EUR\nGlobex,US"[..]).chain(Broken);
    let options = ImportOptions {
        kind: ImportKind::Clients,
        dry_run: false,
        all_or_nothing: false,
    };
    let report =
        w.tt.csv
            .import(&w.db, &admin, options, input)
            .await
            .unwrap();
    assert_eq!(counts(&report), (ImportStatus::Aborted, 1, 0, 0));
    assert_eq!(
        errors(&report),
        [(
            3,
            None,
            "the file could not be read to its end; nothing was imported"
        )]
    );
    assert!(client_names(&w, &admin).await.is_empty());
    let history =
        w.tt.csv
            .imports(&w.db, &admin, &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(history.items[0].status, ImportStatus::Aborted);
}
