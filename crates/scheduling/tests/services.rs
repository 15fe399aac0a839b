//! Scheduling services against a real database (SQLite in memory by
//! default, PostgreSQL when TEST_DATABASE_URL is set).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::{
    Principal, SystemClock,
    id::{OrgId, SessionId, UserId},
    ports::{Allowance, Entitlements, Limit},
    testing::fresh_connection,
};
use trellis_scheduling::{
    Error, Scheduling, SchedulingDeps,
    model::{CreateClient, CreateProfessional},
};

/// A plan that allows `0` clients.
struct Limited(u64);

#[async_trait::async_trait]
impl Entitlements for Limited {
    async fn limit(&self, _org: OrgId, limit: Limit) -> Result<Allowance, DbErr> {
        Ok(Allowance {
            limit,
            max: Some(self.0),
            plan: "free".into(),
            lifted_by: Some("basic".into()),
        })
    }
}

#[tokio::test]
async fn the_plan_limits_how_many_clients_a_professional_keeps() {
    let (db, _guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let (user, org) = (UserId::new(), OrgId::new());
    let backend = db.get_database_backend();
    let now = chrono::Utc::now();
    let (user_sql, org_sql) = match backend {
        sea_orm::DbBackend::Postgres => (
            "INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES ($1, '[]', false, $2, $2)",
            "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, 'o', $2, $2)",
        ),
        _ => (
            "INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES (?, '[]', false, ?, ?)",
            "INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, 'o', ?, ?)",
        ),
    };
    for (sql, id) in [(user_sql, user.0), (org_sql, org.0)] {
        let values: Vec<sea_orm::Value> = if backend == sea_orm::DbBackend::Postgres {
            vec![id.into(), now.into()]
        } else {
            vec![id.into(), now.into(), now.into()]
        };
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .unwrap();
    }
    let scheduling = Scheduling::new(SchedulingDeps {
        clock: SystemClock::shared(),
        entitlements: Arc::new(Limited(2)),
    });
    let caller = Principal {
        user_id: user,
        session_id: SessionId::new(),
        roles: vec![],
        anonymous: false,
    };
    let cmd = CreateProfessional {
        slug: "limited".parse().unwrap(),
        name: "L".into(),
        time_zone: "UTC".parse().unwrap(),
        bio: None,
        org_id: None,
    };
    scheduling
        .professionals
        .create(&db, &caller, org, cmd)
        .await
        .unwrap();
    let pro = scheduling
        .professionals
        .of_user(&db, caller.user_id)
        .await
        .unwrap();

    let add = |n: u32| CreateClient {
        name: format!("c{n}"),
        phone: Some(format!("+3519120000{n:02}").parse().unwrap()),
        email: None,
    };
    scheduling.clients.create(&db, &pro, add(1)).await.unwrap();
    scheduling.clients.create(&db, &pro, add(2)).await.unwrap();
    let third = scheduling.clients.create(&db, &pro, add(3)).await;
    match third {
        Err(Error::PlanLimit(reached)) => {
            assert_eq!((reached.limit, reached.max), (Limit::Clients, 2));
            assert_eq!(reached.lifted_by.as_deref(), Some("basic"));
        }
        other => panic!("expected plan.limit_reached, got {other:?}"),
    }
    // Existing clients are still found for bookings; only new ones are refused.
    let known = scheduling
        .clients
        .find_or_create(
            &db,
            &pro,
            "c1",
            Some(&"+351912000001".parse().unwrap()),
            None,
            None,
        )
        .await;
    assert!(known.is_ok());
    let new = scheduling
        .clients
        .find_or_create(
            &db,
            &pro,
            "c9",
            Some(&"+351912000009".parse().unwrap()),
            None,
            None,
        )
        .await;
    assert!(matches!(new, Err(Error::PlanLimit(_))));
}
