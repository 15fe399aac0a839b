//! On PostgreSQL the database itself refuses overlapping active appointments
//! (exclusion constraint), whatever the application does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use sea_orm::{ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::testing::{postgres_or_skip, with_database};

#[tokio::test]
async fn overlapping_active_appointments_violate_the_exclusion_constraint() {
    let Some(admin_url) =
        postgres_or_skip("overlapping_active_appointments_violate_the_exclusion_constraint")
    else {
        return;
    };
    let name = format!("trellis_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let db = Database::connect(with_database(&admin_url, &name).as_str())
        .await
        .unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();

    let setup = "
        INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES ('00000000-0000-7000-8000-000000000001', '[]', false, now(), now());
        INSERT INTO organizations (id, name, created_at, updated_at) VALUES ('00000000-0000-7000-8000-000000000002', 'o', now(), now());
        INSERT INTO professionals (id, user_id, org_id, slug, name, time_zone, created_at, updated_at)
            VALUES ('00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002', 'p', 'P', 'UTC', now(), now());
        INSERT INTO services (id, professional_id, name, duration_minutes, price_minor, currency, buffer_before_minutes, buffer_after_minutes,
            min_notice_minutes, max_advance_days, slot_increment_minutes, requires_confirmation, cancellation_notice_minutes, active, created_at, updated_at)
            VALUES ('00000000-0000-7000-8000-000000000004', '00000000-0000-7000-8000-000000000003', 's', 60, 0, 'EUR', 0, 0, 0, 1, 60, false, 0, true, now(), now());
        INSERT INTO clients (id, professional_id, name, created_at, updated_at)
            VALUES ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000003', 'c', now(), now());";
    db.execute_unprepared(setup).await.unwrap();
    let insert = |id: u8, start: &str, end: &str, status: &str| {
        format!(
            "INSERT INTO appointments (id, professional_id, service_id, client_id, start_at, end_at, block_start, block_end, status, price_minor, currency, created_at, updated_at)
             VALUES ('00000000-0000-7000-8000-0000000001{id:02}', '00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000004',
                     '00000000-0000-7000-8000-000000000005', '{start}', '{end}', '{start}', '{end}', '{status}', 0, 'EUR', now(), now())"
        )
    };
    db.execute_unprepared(&insert(
        1,
        "2030-01-01 10:00Z",
        "2030-01-01 11:00Z",
        "confirmed",
    ))
    .await
    .unwrap();
    let overlap = db
        .execute_unprepared(&insert(
            2,
            "2030-01-01 10:30Z",
            "2030-01-01 11:30Z",
            "pending",
        ))
        .await;
    assert!(
        overlap
            .unwrap_err()
            .to_string()
            .contains("appointments_no_overlap")
    );
    // Touching is fine (half-open ranges), and inactive appointments do not hold time.
    db.execute_unprepared(&insert(
        3,
        "2030-01-01 11:00Z",
        "2030-01-01 12:00Z",
        "confirmed",
    ))
    .await
    .unwrap();
    db.execute_unprepared(&insert(
        4,
        "2030-01-01 10:00Z",
        "2030-01-01 11:00Z",
        "cancelled",
    ))
    .await
    .unwrap();

    db.close().await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
}
