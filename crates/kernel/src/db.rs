//! One way to open the database, whichever it is.
//!
//! SQLite is the embedded default and PostgreSQL production; both come from
//! one URL. SQLite gets the pragmas a server needs (WAL so readers never wait
//! for the writer, foreign keys enforced, a busy timeout instead of instant
//! `SQLITE_BUSY` errors under write contention), and every transaction that
//! writes begins with [`WriteTransaction::begin_write`].

use std::{path::Path, time::Duration};

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// A pooled connection idle for this long is pinged before it is handed out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Pool settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long a request waits for a free connection before failing with 503.
    pub acquire_timeout: Duration,
    /// How long SQLite waits for a competing writer.
    pub sqlite_busy_timeout: Duration,
    /// Log every statement (noisy; for debugging).
    pub log_statements: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
            log_statements: false,
        }
    }
}

/// Which database a URL names.
pub fn backend_of(url: &str) -> Option<DbBackend> {
    if url.starts_with("sqlite:") {
        Some(DbBackend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DbBackend::Postgres)
    } else {
        None
    }
}

/// True for SQLite URLs that name no file.
fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The file a SQLite URL names, if any.
pub fn sqlite_file(url: &str) -> Option<&Path> {
    if is_sqlite_memory(url) {
        return None;
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty()).then(|| Path::new(path))
}

/// Opens a pool for `url`, creating a SQLite file's directory if needed.
pub async fn connect(url: &str, options: &DbOptions) -> Result<DatabaseConnection, DbErr> {
    let backend = backend_of(url).ok_or_else(|| {
        DbErr::Custom("DATABASE_URL must start with sqlite: or postgres://".into())
    })?;
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(options.max_connections)
        .min_connections(options.min_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_timeout(options.acquire_timeout)
        // A ping before every checkout is a round trip per request; only a
        // connection idle long enough to have been dropped by the server or
        // a middlebox is worth testing (a broken hot one fails its query
        // like any outage and is dropped from the pool).
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(options.log_statements);

    if backend == DbBackend::Sqlite {
        let busy = options.sqlite_busy_timeout;
        if is_sqlite_memory(url) {
            // Each in-memory connection is its own database: keep exactly one, forever.
            opts.max_connections(1)
                .min_connections(1)
                .idle_timeout(None::<Duration>)
                .max_lifetime(None::<Duration>);
            opts.map_sqlx_sqlite_opts(move |o| o.foreign_keys(true).busy_timeout(busy));
        } else {
            if let Some(dir) = sqlite_file(url).and_then(Path::parent)
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
            opts.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(busy)
            });
        }
    }
    Database::connect(opts).await
}

/// How every transaction that may write begins.
///
/// A plain `BEGIN` on SQLite is deferred: the transaction holds a read
/// snapshot and asks for the write lock at its first write. If another
/// connection wrote in between (or still holds the lock, say a dropped
/// transaction whose rollback has not run yet), SQLite cannot let the
/// upgrade wait without risking a deadlock, so it fails at once with
/// "database is locked" and the busy timeout never applies: a 500 under
/// ordinary concurrency. `BEGIN IMMEDIATE` takes the write lock up front, so
/// competing writers queue on the busy timeout and read-then-write logic
/// sees no lost updates. PostgreSQL ignores the mode; a nested transaction
/// (a savepoint) inherits its parent's lock.
///
/// `TransactionTrait::begin` is refused by clippy (`clippy.toml`) outside
/// this module so a new domain cannot reintroduce the deferred kind.
pub trait WriteTransaction: TransactionTrait {
    /// Begins a transaction holding the write lock on SQLite from the start.
    fn begin_write(&self) -> impl Future<Output = Result<Self::Transaction, DbErr>> + Send;
}

impl<C: TransactionTrait> WriteTransaction for C {
    fn begin_write(&self) -> impl Future<Output = Result<Self::Transaction, DbErr>> + Send {
        self.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
    }
}

/// Connections in use and idle, for the metrics endpoint.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            let idle = pool.num_idle() as u32;
            (pool.size().saturating_sub(idle), idle)
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            let idle = pool.num_idle() as u32;
            (pool.size().saturating_sub(idle), idle)
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    #[test]
    fn urls_name_their_backend_and_file() {
        assert_eq!(
            backend_of("sqlite://./data/x.db?mode=rwc"),
            Some(DbBackend::Sqlite)
        );
        assert_eq!(backend_of("postgres://u@h/db"), Some(DbBackend::Postgres));
        assert_eq!(backend_of("mysql://u@h/db"), None);
        assert_eq!(
            sqlite_file("sqlite://./data/x.db?mode=rwc"),
            Some(Path::new("./data/x.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn sqlite_file_gets_wal_and_foreign_keys() -> Result<(), DbErr> {
        let dir = tempfile::tempdir().map_err(|e| DbErr::Custom(e.to_string()))?;
        let url = format!("sqlite://{}/nested/t.db?mode=rwc", dir.path().display());
        let db = connect(&url, &DbOptions::default()).await?;
        let pragma = |sql: &'static str| {
            let db = db.clone();
            async move {
                let row = db
                    .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                    .await?
                    .ok_or_else(|| DbErr::Custom("no row".into()))?;
                row.try_get_by_index::<String>(0)
                    .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
            }
        };
        assert_eq!(pragma("PRAGMA journal_mode").await?, "wal");
        assert_eq!(pragma("PRAGMA foreign_keys").await?, "1");
        assert_eq!(pragma("PRAGMA busy_timeout").await?, "5000");
        Ok(())
    }

    /// A SQLite file pool with a one-row counter.
    async fn counter_db() -> Result<(DatabaseConnection, tempfile::TempDir), DbErr> {
        let dir = tempfile::tempdir().map_err(|e| DbErr::Custom(e.to_string()))?;
        let url = format!("sqlite://{}/c.db?mode=rwc", dir.path().display());
        let db = connect(&url, &DbOptions::default()).await?;
        db.execute_unprepared("CREATE TABLE counter (n INTEGER NOT NULL)")
            .await?;
        db.execute_unprepared("INSERT INTO counter (n) VALUES (0)")
            .await?;
        Ok((db, dir))
    }

    async fn read_counter(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM counter",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no row".into()))?;
        row.try_get_by_index::<i64>(0)
    }

    async fn write_counter(db: &impl ConnectionTrait, n: i64) -> Result<(), DbErr> {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE counter SET n = ?",
            [n.into()],
        ))
        .await
        .map(drop)
    }

    /// Why `begin_write` exists: two deferred transactions that both read
    /// before either writes cannot both commit, and the loser fails at once
    /// with "database is locked" despite the busy timeout.
    #[tokio::test]
    #[allow(clippy::disallowed_methods)]
    async fn deferred_transactions_that_read_then_write_fail_under_contention() -> Result<(), DbErr>
    {
        let (db, _dir) = counter_db().await?;
        let both_read = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let bump = |db: DatabaseConnection, both_read: std::sync::Arc<tokio::sync::Barrier>| async move {
            let txn = db.begin().await?;
            let n = read_counter(&txn).await?;
            both_read.wait().await;
            write_counter(&txn, n + 1).await?;
            txn.commit().await
        };
        let (a, b) = tokio::join!(
            tokio::spawn(bump(db.clone(), both_read.clone())),
            tokio::spawn(bump(db.clone(), both_read)),
        );
        let results = [a, b].map(|r| r.map_err(|e| DbErr::Custom(e.to_string())));
        let failures = results.iter().filter(|r| matches!(r, Ok(Err(_)))).count();
        assert_eq!(failures, 1, "{results:?}");
        Ok(())
    }

    /// Write transactions queue on the busy timeout instead of failing, and
    /// a read-then-write inside one loses no update.
    #[tokio::test]
    async fn write_transactions_queue_and_lose_no_update() -> Result<(), DbErr> {
        let (db, _dir) = counter_db().await?;
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let txn = db.begin_write().await?;
                    let n = read_counter(&txn).await?;
                    tokio::task::yield_now().await;
                    write_counter(&txn, n + 1).await?;
                    txn.commit().await
                })
            })
            .collect();
        for task in tasks {
            task.await.map_err(|e| DbErr::Custom(e.to_string()))??;
        }
        assert_eq!(read_counter(&db).await?, 12);
        Ok(())
    }
}
