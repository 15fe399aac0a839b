//! Clients, projects, tasks and comments: scoping, rules, filters, paging.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use chrono::NaiveDate;
use common::{entry, new_project, new_task, world};
use poem_openapi::types::MaybeUndefined;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use trellis_kernel::{
    DomainError, PageRequest,
    pagination::Cursor,
    ports::OrgRole,
    types::{Currency, Email},
};
use trellis_time_tracking::{
    Error,
    ids::{CommentId, TaskId},
    model::{
        AgencyClientFilter, CommentBody, CreateAgencyClient, ProjectFilter, ProjectStatus,
        TaskFilter, TaskStatus, TimeEntryFilter, UpdateAgencyClient, UpdateProject, UpdateTask,
    },
};

fn page(limit: u64, cursor: Option<String>) -> PageRequest {
    PageRequest::parse(Some(limit), cursor).unwrap()
}

#[tokio::test]
async fn another_organizations_ids_are_not_found() {
    let w = world().await;
    let (ours, theirs) = (w.agency().await, w.agency().await);
    let client = w.client(&ours, "EUR", Some(10_000)).await;
    let project = w.project(&ours, client.id, None).await;
    let task = w.task(&ours, project.id, "Design").await;
    let entry = w
        .log(
            &ours,
            project.id,
            "2026-11-20T09:00:00Z",
            "2026-11-20T10:00:00Z",
        )
        .await
        .unwrap();
    let comment =
        w.tt.tasks
            .add_comment(&w.db, &ours, task.id, CommentBody { body: "hi".into() })
            .await
            .unwrap();

    let tt = &w.tt;
    assert!(matches!(
        tt.clients.get(&w.db, &theirs, client.id).await,
        Err(Error::ClientNotFound)
    ));
    assert!(matches!(
        tt.clients
            .update(&w.db, &theirs, client.id, UpdateAgencyClient::default())
            .await,
        Err(Error::ClientNotFound)
    ));
    assert!(matches!(
        tt.clients.delete(&w.db, &theirs, client.id).await,
        Err(Error::ClientNotFound)
    ));
    assert!(matches!(
        tt.projects.get(&w.db, &theirs, project.id).await,
        Err(Error::ProjectNotFound)
    ));
    assert!(matches!(
        tt.projects.delete(&w.db, &theirs, project.id).await,
        Err(Error::ProjectNotFound)
    ));
    // Their project cannot be started for our client, nor ours used by them.
    assert!(matches!(
        tt.projects
            .create(&w.db, &theirs, new_project(client.id, "x", None))
            .await,
        Err(Error::ClientNotFound)
    ));
    assert!(matches!(
        tt.tasks
            .create(&w.db, &theirs, new_task(project.id, "x"))
            .await,
        Err(Error::ProjectNotFound)
    ));
    assert!(matches!(
        tt.tasks.get(&w.db, &theirs, task.id).await,
        Err(Error::TaskNotFound)
    ));
    assert!(matches!(
        tt.tasks
            .comments(&w.db, &theirs, task.id, &PageRequest::default())
            .await,
        Err(Error::TaskNotFound)
    ));
    assert!(matches!(
        tt.tasks
            .delete_comment(&w.db, &theirs, task.id, comment.id)
            .await,
        Err(Error::CommentNotFound)
    ));
    assert!(matches!(
        tt.entries.get(&w.db, &theirs, entry.id).await,
        Err(Error::EntryNotFound)
    ));
    assert!(matches!(
        tt.entries.delete(&w.db, &theirs, entry.id).await,
        Err(Error::EntryNotFound)
    ));
    assert!(matches!(
        tt.entries
            .create(
                &w.db,
                &theirs,
                common::entry(
                    project.id,
                    None,
                    "2026-11-20T11:00:00Z",
                    "2026-11-20T12:00:00Z"
                ),
            )
            .await,
        Err(Error::ProjectNotFound)
    ));
    // Lists show only one's own organization.
    let everything = PageRequest::default();
    assert!(
        tt.clients
            .list(&w.db, &theirs, AgencyClientFilter::default(), &everything)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        tt.entries
            .list(&w.db, &theirs, TimeEntryFilter::default(), &everything)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        tt.entries
            .list(&w.db, &ours, TimeEntryFilter::default(), &everything)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn clients_are_created_changed_archived_and_deleted() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let created =
        w.tt.clients
            .create(
                &w.db,
                &member,
                CreateAgencyClient {
                    name: "  Acme  ".into(),
                    email: Some(Email::parse("Ops@Acme.example").unwrap()),
                    phone: None,
                    address: Some("Rua 1".into()),
                    currency: Currency::parse("eur").unwrap(),
                    hourly_rate_minor: Some(9_000),
                },
            )
            .await
            .unwrap();
    assert_eq!(created.name, "Acme");
    assert_eq!(created.email.as_deref(), Some("ops@acme.example"));
    assert_eq!(created.currency, "EUR");

    let changed =
        w.tt.clients
            .update(
                &w.db,
                &member,
                created.id,
                UpdateAgencyClient {
                    email: MaybeUndefined::Null,
                    hourly_rate_minor: MaybeUndefined::Value(9_500),
                    archived: Some(true),
                    ..UpdateAgencyClient::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(changed.email, None);
    assert_eq!(changed.address.as_deref(), Some("Rua 1"), "absent stays");
    assert_eq!(changed.hourly_rate_minor, Some(9_500));
    assert!(changed.archived);
    let bad =
        w.tt.clients
            .update(
                &w.db,
                &member,
                created.id,
                UpdateAgencyClient {
                    name: Some(" ".into()),
                    ..UpdateAgencyClient::default()
                },
            )
            .await;
    assert!(matches!(bad, Err(Error::Validation(_))));

    let other = w.client(&member, "USD", None).await;
    let filter = |archived| AgencyClientFilter {
        archived: Some(archived),
    };
    let archived =
        w.tt.clients
            .list(&w.db, &member, filter(true), &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(
        archived.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![created.id]
    );
    let current =
        w.tt.clients
            .list(&w.db, &member, filter(false), &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(
        current.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![other.id]
    );

    // A client with projects is archived, not deleted.
    w.project(&member, other.id, None).await;
    let refused = w.tt.clients.delete(&w.db, &member, other.id).await;
    assert!(matches!(refused, Err(Error::ClientInUse)));
    assert_eq!(refused.err().map(|e| e.kind().status()), Some(409));
    w.tt.clients
        .delete(&w.db, &member, created.id)
        .await
        .unwrap();
    assert!(matches!(
        w.tt.clients.get(&w.db, &member, created.id).await,
        Err(Error::ClientNotFound)
    ));
}

#[tokio::test]
async fn a_project_with_tasks_or_time_is_archived_not_deleted() {
    let w = world().await;
    let access = w.agency().await;
    let client = w.client(&access, "EUR", None).await;

    let empty = w.project(&access, client.id, None).await;
    w.tt.projects
        .delete(&w.db, &access, empty.id)
        .await
        .unwrap();
    assert!(matches!(
        w.tt.projects.get(&w.db, &access, empty.id).await,
        Err(Error::ProjectNotFound)
    ));

    let with_task = w.project(&access, client.id, None).await;
    let task = w.task(&access, with_task.id, "Design").await;
    let refused = w.tt.projects.delete(&w.db, &access, with_task.id).await;
    let err = refused.err().unwrap();
    assert!(matches!(err, Error::ProjectInUse));
    assert_eq!((err.kind().status(), err.code()), (409, "project.in_use"));
    assert!(err.to_string().contains("archive"), "{err}");
    // Once the task is gone, the project goes too.
    w.tt.tasks.delete(&w.db, &access, task.id).await.unwrap();
    w.tt.projects
        .delete(&w.db, &access, with_task.id)
        .await
        .unwrap();

    let with_time = w.project(&access, client.id, None).await;
    w.log(
        &access,
        with_time.id,
        "2026-11-20T09:00:00Z",
        "2026-11-20T10:00:00Z",
    )
    .await
    .unwrap();
    assert!(matches!(
        w.tt.projects.delete(&w.db, &access, with_time.id).await,
        Err(Error::ProjectInUse)
    ));
    let archived =
        w.tt.projects
            .update(
                &w.db,
                &access,
                with_time.id,
                UpdateProject {
                    status: Some(ProjectStatus::Archived),
                    ..UpdateProject::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(archived.status, ProjectStatus::Archived);
    // An archived project takes no new time.
    assert!(matches!(
        w.log(
            &access,
            with_time.id,
            "2026-11-21T09:00:00Z",
            "2026-11-21T10:00:00Z"
        )
        .await,
        Err(Error::ProjectArchived)
    ));

    // A task with time is kept too.
    let project = w.project(&access, client.id, None).await;
    let task = w.task(&access, project.id, "Build").await;
    w.tt.entries
        .create(
            &w.db,
            &access,
            entry(
                project.id,
                Some(task.id),
                "2026-11-22T09:00:00Z",
                "2026-11-22T10:00:00Z",
            ),
        )
        .await
        .unwrap();
    assert!(matches!(
        w.tt.tasks.delete(&w.db, &access, task.id).await,
        Err(Error::TaskInUse)
    ));
}

#[tokio::test]
async fn projects_validate_filter_and_page() {
    let w = world().await;
    let access = w.agency().await;
    let (a, b) = (
        w.client(&access, "EUR", None).await,
        w.client(&access, "USD", None).await,
    );
    let mut cmd = new_project(a.id, "Web", Some(12_000));
    cmd.code = Some("ACME-WEB".into());
    cmd.color = Some("#A1B2C3".into());
    cmd.billable = Some(false);
    let web =
        w.tt.projects
            .create(&w.db, &access, cmd.clone())
            .await
            .unwrap();
    assert_eq!(web.color.as_deref(), Some("#a1b2c3"));
    assert!(!web.billable);
    assert!(matches!(
        w.tt.projects.create(&w.db, &access, cmd.clone()).await,
        Err(Error::ProjectCodeTaken)
    ));
    // The same code is free in another organization.
    let elsewhere = w.agency().await;
    let their_client = w.client(&elsewhere, "EUR", None).await;
    let mut theirs = cmd.clone();
    theirs.client_id = their_client.id;
    w.tt.projects
        .create(&w.db, &elsewhere, theirs)
        .await
        .unwrap();

    let mut bad = new_project(a.id, "x", None);
    bad.color = Some("red".into());
    let err =
        w.tt.projects
            .create(&w.db, &access, bad)
            .await
            .err()
            .unwrap();
    assert_eq!(
        err.field_errors().first().map(|f| f.field.as_str()),
        Some("color")
    );
    let err =
        w.tt.projects
            .update(
                &w.db,
                &access,
                web.id,
                UpdateProject {
                    color: MaybeUndefined::Value("#12345".into()),
                    budget_hours: MaybeUndefined::Value(-1),
                    ..UpdateProject::default()
                },
            )
            .await
            .err()
            .unwrap();
    assert_eq!(err.field_errors().len(), 2);

    for i in 0..4 {
        w.tt.projects
            .create(&w.db, &access, new_project(b.id, &format!("B{i}"), None))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            w.tt.projects
                .list(
                    &w.db,
                    &access,
                    ProjectFilter {
                        client_id: Some(b.id),
                        status: Some(ProjectStatus::Active),
                    },
                    &page(3, cursor),
                )
                .await
                .unwrap();
        seen.extend(page.items.iter().map(|p| p.name.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["B0", "B1", "B2", "B3"]);
    let garbage = Cursor::encode(&"not an id").as_str().to_string();
    assert!(matches!(
        w.tt.projects
            .list(
                &w.db,
                &access,
                ProjectFilter::default(),
                &page(3, Some(garbage))
            )
            .await,
        Err(Error::Validation(_))
    ));
}

#[tokio::test]
async fn tasks_need_member_assignees_and_filter() {
    let w = world().await;
    let access = w.agency().await;
    let colleague = w.member(access.org_id(), OrgRole::Member).await;
    let stranger = w.user().await;
    let client = w.client(&access, "EUR", None).await;
    let (p1, p2) = (
        w.project(&access, client.id, None).await,
        w.project(&access, client.id, None).await,
    );
    let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();

    let mut cmd = new_task(p1.id, "Design");
    cmd.assignee_id = Some(stranger);
    let err =
        w.tt.tasks
            .create(&w.db, &access, cmd.clone())
            .await
            .err()
            .unwrap();
    assert_eq!(err.kind().status(), 422);
    assert_eq!(err.field_errors()[0].field, "assignee_id");

    cmd.assignee_id = Some(colleague.user_id());
    cmd.due_on = Some(day(5));
    let design = w.tt.tasks.create(&w.db, &access, cmd).await.unwrap();
    assert_eq!(design.status, TaskStatus::Todo);
    assert_eq!(design.created_by, Some(access.user_id()));
    let mut cmd = new_task(p1.id, "Build");
    cmd.due_on = Some(day(20));
    let build = w.tt.tasks.create(&w.db, &access, cmd).await.unwrap();
    w.task(&access, p2.id, "Other").await;

    let err =
        w.tt.tasks
            .update(
                &w.db,
                &access,
                build.id,
                UpdateTask {
                    assignee_id: MaybeUndefined::Value(stranger),
                    ..UpdateTask::default()
                },
            )
            .await
            .err()
            .unwrap();
    assert_eq!(err.kind().status(), 422);
    let build =
        w.tt.tasks
            .update(
                &w.db,
                &colleague,
                build.id,
                UpdateTask {
                    status: Some(TaskStatus::InProgress),
                    assignee_id: MaybeUndefined::Value(colleague.user_id()),
                    due_on: MaybeUndefined::Null,
                    ..UpdateTask::default()
                },
            )
            .await
            .unwrap();
    assert_eq!(build.due_on, None);

    let ids = |filter| {
        let w = &w;
        async move {
            w.tt.tasks
                .list(&w.db, &access, filter, &PageRequest::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|t| t.id)
                .collect::<Vec<TaskId>>()
        }
    };
    assert_eq!(
        ids(TaskFilter {
            project_id: Some(p1.id),
            ..TaskFilter::default()
        })
        .await,
        vec![design.id, build.id]
    );
    assert_eq!(
        ids(TaskFilter {
            status: Some(TaskStatus::InProgress),
            ..TaskFilter::default()
        })
        .await,
        vec![build.id]
    );
    assert_eq!(
        ids(TaskFilter {
            assignee_id: Some(colleague.user_id()),
            ..TaskFilter::default()
        })
        .await,
        vec![design.id, build.id]
    );
    assert_eq!(
        ids(TaskFilter {
            due_from: Some(day(1)),
            due_to: Some(day(10)),
            ..TaskFilter::default()
        })
        .await,
        vec![design.id]
    );
    assert_eq!(ids(TaskFilter::default()).await.len(), 3);
}

#[tokio::test]
async fn only_authors_change_their_comments() {
    let w = world().await;
    let author = w.agency().await;
    let admin = w.member(author.org_id(), OrgRole::Owner).await;
    let client = w.client(&author, "EUR", None).await;
    let project = w.project(&author, client.id, None).await;
    let task = w.task(&author, project.id, "Design").await;
    let body = |text: &str| CommentBody { body: text.into() };

    let first =
        w.tt.tasks
            .add_comment(&w.db, &author, task.id, body("first"))
            .await
            .unwrap();
    assert_eq!(first.author_id, Some(author.user_id()));
    assert_eq!(first.edited_at, None);
    let second =
        w.tt.tasks
            .add_comment(&w.db, &admin, task.id, body("second"))
            .await
            .unwrap();

    // Not even an owner edits or deletes someone else's words.
    for result in [
        w.tt.tasks
            .edit_comment(&w.db, &admin, task.id, first.id, body("mine now"))
            .await
            .map(drop),
        w.tt.tasks
            .delete_comment(&w.db, &admin, task.id, first.id)
            .await,
    ] {
        let err = result.err().unwrap();
        assert!(matches!(err, Error::NotAuthor));
        assert_eq!(err.kind().status(), 403);
    }
    let edited =
        w.tt.tasks
            .edit_comment(&w.db, &author, task.id, first.id, body("first, fixed"))
            .await
            .unwrap();
    assert_eq!(edited.body, "first, fixed");
    assert!(edited.edited_at.is_some());
    assert!(matches!(
        w.tt.tasks
            .add_comment(&w.db, &author, task.id, body(""))
            .await,
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        w.tt.tasks
            .delete_comment(&w.db, &author, task.id, CommentId::new())
            .await,
        Err(Error::CommentNotFound)
    ));
    w.tt.tasks
        .delete_comment(&w.db, &admin, task.id, second.id)
        .await
        .unwrap();
    let left =
        w.tt.tasks
            .comments(&w.db, &author, task.id, &PageRequest::default())
            .await
            .unwrap();
    assert_eq!(
        left.items
            .iter()
            .map(|c| c.body.as_str())
            .collect::<Vec<_>>(),
        ["first, fixed"]
    );
}

#[tokio::test]
async fn deleting_the_organization_takes_everything_with_it() {
    let w = world().await;
    let access = w.agency().await;
    let client = w.client(&access, "EUR", None).await;
    let project = w.project(&access, client.id, None).await;
    let task = w.task(&access, project.id, "Design").await;
    w.tt.tasks
        .add_comment(&w.db, &access, task.id, CommentBody { body: "x".into() })
        .await
        .unwrap();
    w.tt.entries
        .create(
            &w.db,
            &access,
            entry(
                project.id,
                Some(task.id),
                "2026-11-20T09:00:00Z",
                "2026-11-20T10:00:00Z",
            ),
        )
        .await
        .unwrap();
    let backend = w.db.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?1"
    };
    w.db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("DELETE FROM organizations WHERE id = {placeholder}"),
        [access.org_id().0.into()],
    ))
    .await
    .unwrap();
    for table in [
        "agency_clients",
        "projects",
        "tasks",
        "task_comments",
        "time_entries",
        "time_settings",
    ] {
        let row =
            w.db.query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0, "{table}");
    }
}
