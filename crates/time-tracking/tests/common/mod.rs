//! A world for service tests: a fresh database (SQLite, or PostgreSQL when
//! TEST_DATABASE_URL is set), migrated; the services on a manual clock;
//! memberships the test sets; users and organizations inserted as rows
//! (identity's tables, whose services these tests do not link).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // shared by several test crates

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::{
    clock::ManualClock,
    id::{OrgId, UserId},
    ports::{Memberships, OrgAccess, OrgRole},
    testing::{TestDatabase, fresh_connection},
    types::Currency,
};
use trellis_time_tracking::{
    TimeTracking, TimeTrackingDeps,
    ids::{AgencyClientId, ProjectId, TaskId},
    model::{
        AgencyClientView, CreateAgencyClient, CreateProject, CreateTask, CreateTimeEntry,
        ProjectView, TaskView, TimeEntryView,
    },
};

/// Memberships the test sets, shared with the services.
#[derive(Default)]
pub struct Orgs(Mutex<HashMap<(UserId, OrgId), OrgRole>>);

#[async_trait::async_trait]
impl Memberships for Orgs {
    async fn role_of(&self, user: UserId, org: OrgId) -> Result<Option<OrgRole>, DbErr> {
        Ok(self.0.lock().unwrap().get(&(user, org)).copied())
    }
}

pub struct World {
    pub db: DatabaseConnection,
    pub tt: TimeTracking,
    pub clock: ManualClock,
    pub orgs: Arc<Orgs>,
    _guard: TestDatabase,
}

/// An instant from RFC 3339 text.
pub fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub async fn world() -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let clock = ManualClock::at(t("2026-11-23T12:00:00Z"));
    let orgs = Arc::new(Orgs::default());
    let tt = TimeTracking::new(TimeTrackingDeps {
        clock: Arc::new(clock.clone()),
        memberships: orgs.clone(),
    });
    World {
        db,
        tt,
        clock,
        orgs,
        _guard: guard,
    }
}

impl World {
    /// Inserts a row with a fresh id and `created_at = updated_at = now`.
    async fn insert_row(&self, table: &str, columns: &str, literals: &str) -> uuid::Uuid {
        let id = uuid::Uuid::now_v7();
        let backend = self.db.get_database_backend();
        let (a, b) = if backend == DbBackend::Postgres {
            ("$1", "$2")
        } else {
            ("?1", "?2")
        };
        let sql = format!(
            "INSERT INTO {table} (id, {columns}, created_at, updated_at) VALUES ({a}, {literals}, {b}, {b})"
        );
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [id.into(), Utc::now().into()],
            ))
            .await
            .unwrap();
        id
    }

    pub async fn user(&self) -> UserId {
        UserId(
            self.insert_row("users", "roles, is_anonymous", "'[]', false")
                .await,
        )
    }

    pub async fn org(&self) -> OrgId {
        OrgId(self.insert_row("organizations", "name", "'agency'").await)
    }

    /// A new user, member of `org` with `role`, and their access.
    pub async fn member(&self, org: OrgId, role: OrgRole) -> OrgAccess {
        let user = self.user().await;
        self.orgs.0.lock().unwrap().insert((user, org), role);
        OrgAccess::assume(user, org, role)
    }

    /// An organization with an admin.
    pub async fn agency(&self) -> OrgAccess {
        let org = self.org().await;
        self.member(org, OrgRole::Admin).await
    }

    pub async fn client(
        &self,
        access: &OrgAccess,
        currency: &str,
        rate: Option<i64>,
    ) -> AgencyClientView {
        self.tt
            .clients
            .create(
                &self.db,
                access,
                CreateAgencyClient {
                    name: format!("Client {currency}"),
                    email: None,
                    phone: None,
                    address: None,
                    currency: Currency::parse(currency).unwrap(),
                    hourly_rate_minor: rate,
                },
            )
            .await
            .unwrap()
    }

    pub async fn project(
        &self,
        access: &OrgAccess,
        client: AgencyClientId,
        rate: Option<i64>,
    ) -> ProjectView {
        self.tt
            .projects
            .create(&self.db, access, new_project(client, "Website", rate))
            .await
            .unwrap()
    }

    pub async fn task(&self, access: &OrgAccess, project: ProjectId, title: &str) -> TaskView {
        self.tt
            .tasks
            .create(&self.db, access, new_task(project, title))
            .await
            .unwrap()
    }

    /// Logs `[start, end)` for the caller on `project`.
    pub async fn log(
        &self,
        access: &OrgAccess,
        project: ProjectId,
        start: &str,
        end: &str,
    ) -> Result<TimeEntryView, trellis_time_tracking::Error> {
        self.tt
            .entries
            .create(&self.db, access, entry(project, None, start, end))
            .await
    }
}

pub fn new_project(client: AgencyClientId, name: &str, rate: Option<i64>) -> CreateProject {
    CreateProject {
        client_id: client,
        name: name.into(),
        code: None,
        billable: None,
        hourly_rate_minor: rate,
        budget_hours: None,
        color: None,
    }
}

pub fn new_task(project: ProjectId, title: &str) -> CreateTask {
    CreateTask {
        project_id: project,
        title: title.into(),
        description: None,
        status: None,
        priority: None,
        assignee_id: None,
        due_on: None,
        estimate_minutes: None,
    }
}

pub fn entry(project: ProjectId, task: Option<TaskId>, start: &str, end: &str) -> CreateTimeEntry {
    CreateTimeEntry {
        user_id: None,
        project_id: project,
        task_id: task,
        description: None,
        start_at: t(start),
        end_at: t(end),
        billable: None,
    }
}
