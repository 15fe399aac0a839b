//! Job leases: make a scheduled job run on one instance at a time.
//!
//! A lease is a row per job name; taking it is one atomic statement that
//! succeeds only if the row is absent or expired, so it works the same on
//! SQLite and PostgreSQL and across any number of instances.

use chrono::Duration;
use sea_orm::{ConnectionTrait, DbErr, Statement};

use crate::clock::SharedClock;

/// Tries to take the lease `name` for `ttl`; true if this `holder` now has it.
pub async fn acquire(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<bool, DbErr> {
    let now = clock.now();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
             WHERE job_leases.expires_at <= $4"
        }
        _ => {
            "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.expires_at <= ?"
        }
    };
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [name.into(), holder.into(), (now + ttl).into(), now.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives the lease back early (only if `holder` still has it).
pub async fn release(db: &impl ConnectionTrait, name: &str, holder: &str) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "DELETE FROM job_leases WHERE name = $1 AND holder = $2",
        _ => "DELETE FROM job_leases WHERE name = ? AND holder = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [name.into(), holder.into()],
    ))
    .await?;
    Ok(())
}
