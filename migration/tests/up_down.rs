//! Every migration applies and rolls back cleanly on the test backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use sea_orm_migration::MigratorTrait;
use trellis_kernel::testing::fresh_connection;
use trellis_migration::Migrator;

#[tokio::test]
async fn migrations_apply_roll_back_and_reapply() -> Result<(), sea_orm_migration::DbErr> {
    let (db, _guard) = fresh_connection().await?;
    Migrator::up(&db, None).await?;
    assert!(Migrator::get_pending_migrations(&db).await?.is_empty());

    Migrator::down(&db, None).await?;
    let total = Migrator::migrations().len();
    assert_eq!(Migrator::get_pending_migrations(&db).await?.len(), total);

    Migrator::up(&db, None).await?;
    assert!(Migrator::get_pending_migrations(&db).await?.is_empty());
    Ok(())
}
