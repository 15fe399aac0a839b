//! Bulk operations on tasks and clients: a result per id, one transaction,
//! admins only, another organization's ids not found.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::{World, entry, new_task, world};
use poem_openapi::types::MaybeUndefined;
use trellis_kernel::{
    DomainError, PageRequest,
    ports::{OrgAccess, OrgRole},
};
use trellis_time_tracking::{
    Error,
    ids::{AgencyClientId, TaskId},
    model::{
        AgencyClientFilter, BulkClientAction, BulkClients, BulkOutcome, BulkReport, BulkTaskAction,
        BulkTasks, TaskFilter, TaskStatus,
    },
    service::MAX_BULK_IDS,
};
use uuid::Uuid;

fn tasks(ids: &[TaskId], action: BulkTaskAction) -> BulkTasks {
    BulkTasks {
        ids: ids.to_vec(),
        action,
        status: None,
        assignee_id: MaybeUndefined::Undefined,
    }
}

fn outcomes(report: &BulkReport) -> Vec<(Uuid, BulkOutcome)> {
    report.results.iter().map(|r| (r.id, r.outcome)).collect()
}

async fn task_ids(w: &World, access: &OrgAccess) -> Vec<TaskId> {
    w.tt.tasks
        .list(
            &w.db,
            access,
            TaskFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|t| t.id)
        .collect()
}

#[tokio::test]
async fn tasks_change_status_and_assignee_in_bulk() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let theirs = w.agency().await;
    let client = w.client(&admin, "EUR", None).await;
    let project = w.project(&admin, client.id, None).await;
    let a = w.task(&admin, project.id, "A").await;
    let b = w.task(&admin, project.id, "B").await;
    let their_client = w.client(&theirs, "EUR", None).await;
    let their_project = w.project(&theirs, their_client.id, None).await;
    let foreign = w.task(&theirs, their_project.id, "Theirs").await;
    let unknown = TaskId::new();
    w.clock.advance(chrono::Duration::minutes(5));

    let mut cmd = tasks(
        &[a.id, foreign.id, b.id, a.id, unknown],
        BulkTaskAction::SetStatus,
    );
    cmd.status = Some(TaskStatus::Done);
    let report = w.tt.tasks.bulk(&w.db, &admin, cmd).await.unwrap();
    assert_eq!(
        outcomes(&report),
        [
            (a.id.0, BulkOutcome::Ok),
            (foreign.id.0, BulkOutcome::NotFound),
            (b.id.0, BulkOutcome::Ok),
            (unknown.0, BulkOutcome::NotFound),
        ],
        "one result per distinct id, in the order given"
    );
    assert_eq!((report.ok, report.not_found, report.conflict), (2, 2, 0));
    for id in [a.id, b.id] {
        let task = w.tt.tasks.get(&w.db, &admin, id).await.unwrap();
        assert_eq!(task.status, TaskStatus::Done);
        assert_eq!(task.updated_at.0, w_now(&w));
    }
    let untouched = w.tt.tasks.get(&w.db, &theirs, foreign.id).await.unwrap();
    assert_eq!(
        untouched.status,
        TaskStatus::Todo,
        "another org's task is left alone"
    );

    let mut assign = tasks(&[a.id, b.id], BulkTaskAction::SetAssignee);
    assign.assignee_id = MaybeUndefined::Value(member.user_id());
    let report = w.tt.tasks.bulk(&w.db, &admin, assign).await.unwrap();
    assert_eq!(report.ok, 2);
    let mine =
        w.tt.tasks
            .list(
                &w.db,
                &admin,
                TaskFilter {
                    assignee_id: Some(member.user_id()),
                    ..TaskFilter::default()
                },
                &PageRequest::default(),
            )
            .await
            .unwrap();
    assert_eq!(mine.items.len(), 2);
    let mut unassign = tasks(&[b.id], BulkTaskAction::SetAssignee);
    unassign.assignee_id = MaybeUndefined::Null;
    w.tt.tasks.bulk(&w.db, &admin, unassign).await.unwrap();
    assert_eq!(
        w.tt.tasks
            .get(&w.db, &admin, b.id)
            .await
            .unwrap()
            .assignee_id,
        None
    );

    // The whole request is refused when it cannot be carried out at all.
    let stranger = w.user().await;
    let mut outsider = tasks(&[a.id], BulkTaskAction::SetAssignee);
    outsider.assignee_id = MaybeUndefined::Value(stranger);
    let refusals = [
        w.tt.tasks
            .bulk(&w.db, &admin, tasks(&[a.id], BulkTaskAction::SetStatus))
            .await
            .unwrap_err(),
        w.tt.tasks
            .bulk(&w.db, &admin, tasks(&[a.id], BulkTaskAction::SetAssignee))
            .await
            .unwrap_err(),
        w.tt.tasks.bulk(&w.db, &admin, outsider).await.unwrap_err(),
        w.tt.tasks
            .bulk(&w.db, &admin, tasks(&[], BulkTaskAction::Delete))
            .await
            .unwrap_err(),
        w.tt.tasks
            .bulk(
                &w.db,
                &admin,
                tasks(
                    &(0..=MAX_BULK_IDS)
                        .map(|_| TaskId::new())
                        .collect::<Vec<_>>(),
                    BulkTaskAction::Delete,
                ),
            )
            .await
            .unwrap_err(),
    ];
    let fields: Vec<String> = refusals
        .iter()
        .map(|e| {
            assert_eq!(e.kind().status(), 422, "{e:?}");
            e.field_errors()[0].field.clone()
        })
        .collect();
    assert_eq!(
        fields,
        ["status", "assignee_id", "assignee_id", "ids", "ids"]
    );

    // Members are refused.
    let err =
        w.tt.tasks
            .bulk(&w.db, &member, tasks(&[a.id], BulkTaskAction::Delete))
            .await
            .unwrap_err();
    assert_eq!(
        (err.kind().status(), err.code()),
        (403, "org.role_required")
    );
    assert_eq!(task_ids(&w, &admin).await.len(), 2);
}

fn w_now(w: &World) -> chrono::DateTime<chrono::Utc> {
    use trellis_kernel::Clock;
    w.clock.now()
}

#[tokio::test]
async fn tasks_with_time_are_not_deleted() {
    let w = world().await;
    let admin = w.agency().await;
    let theirs = w.agency().await;
    let client = w.client(&admin, "EUR", None).await;
    let project = w.project(&admin, client.id, None).await;
    let logged = w.task(&admin, project.id, "Logged").await;
    let free = w.task(&admin, project.id, "Free").await;
    w.tt.tasks
        .add_comment(
            &w.db,
            &admin,
            free.id,
            trellis_time_tracking::model::CommentBody { body: "bye".into() },
        )
        .await
        .unwrap();
    w.tt.entries
        .create(
            &w.db,
            &admin,
            entry(
                project.id,
                Some(logged.id),
                "2026-11-20T09:00:00Z",
                "2026-11-20T10:00:00Z",
            ),
        )
        .await
        .unwrap();
    let their_client = w.client(&theirs, "EUR", None).await;
    let their_project = w.project(&theirs, their_client.id, None).await;
    let foreign =
        w.tt.tasks
            .create(&w.db, &theirs, new_task(their_project.id, "Theirs"))
            .await
            .unwrap();

    let report =
        w.tt.tasks
            .bulk(
                &w.db,
                &admin,
                tasks(&[logged.id, free.id, foreign.id], BulkTaskAction::Delete),
            )
            .await
            .unwrap();
    assert_eq!(
        outcomes(&report),
        [
            (logged.id.0, BulkOutcome::Conflict),
            (free.id.0, BulkOutcome::Ok),
            (foreign.id.0, BulkOutcome::NotFound),
        ]
    );
    let conflict = &report.results[0];
    assert_eq!(conflict.code.as_deref(), Some("task.in_use"));
    assert_eq!(conflict.reason, Some(Error::TaskInUse.to_string()));
    assert_eq!(task_ids(&w, &admin).await, [logged.id]);
    assert!(w.tt.tasks.get(&w.db, &theirs, foreign.id).await.is_ok());
}

async fn client_states(w: &World, access: &OrgAccess) -> Vec<(AgencyClientId, bool)> {
    w.tt.clients
        .list(
            &w.db,
            access,
            AgencyClientFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| (c.id, c.archived))
        .collect()
}

#[tokio::test]
async fn clients_are_archived_and_deleted_in_bulk() {
    let w = world().await;
    let admin = w.agency().await;
    let member = w.member(admin.org_id(), OrgRole::Member).await;
    let theirs = w.agency().await;
    let busy = w.client(&admin, "EUR", None).await;
    w.project(&admin, busy.id, None).await;
    let idle = w.client(&admin, "USD", None).await;
    let spare = w.client(&admin, "GBP", None).await;
    let foreign = w.client(&theirs, "EUR", None).await;

    let archive = |ids: &[AgencyClientId], action| BulkClients {
        ids: ids.to_vec(),
        action,
    };
    let report =
        w.tt.clients
            .bulk(
                &w.db,
                &admin,
                archive(&[busy.id, idle.id, foreign.id], BulkClientAction::Archive),
            )
            .await
            .unwrap();
    assert_eq!((report.ok, report.not_found, report.conflict), (2, 1, 0));
    assert_eq!(
        client_states(&w, &admin).await,
        [(busy.id, true), (idle.id, true), (spare.id, false)]
    );
    assert_eq!(client_states(&w, &theirs).await, [(foreign.id, false)]);
    w.tt.clients
        .bulk(
            &w.db,
            &admin,
            archive(&[idle.id], BulkClientAction::Unarchive),
        )
        .await
        .unwrap();

    let report =
        w.tt.clients
            .bulk(
                &w.db,
                &admin,
                archive(
                    &[busy.id, idle.id, spare.id, foreign.id],
                    BulkClientAction::Delete,
                ),
            )
            .await
            .unwrap();
    assert_eq!(
        outcomes(&report),
        [
            (busy.id.0, BulkOutcome::Conflict),
            (idle.id.0, BulkOutcome::Ok),
            (spare.id.0, BulkOutcome::Ok),
            (foreign.id.0, BulkOutcome::NotFound),
        ]
    );
    assert_eq!(
        report.results[0].code.as_deref(),
        Some("agency_client.in_use")
    );
    assert_eq!(client_states(&w, &admin).await, [(busy.id, true)]);
    assert_eq!(client_states(&w, &theirs).await.len(), 1);

    let err =
        w.tt.clients
            .bulk(
                &w.db,
                &member,
                archive(&[busy.id], BulkClientAction::Archive),
            )
            .await
            .unwrap_err();
    assert_eq!(err.kind().status(), 403);
}
