//! Test support: a fresh database per test, on SQLite or PostgreSQL.
//!
//! The backend follows the environment, so one suite runs on both:
//! - `TRELLIS_TEST_DB=sqlite|postgres` chooses explicitly;
//! - otherwise PostgreSQL when `TEST_DATABASE_URL` is set, SQLite when not.
//!
//! On PostgreSQL every test gets a database of its own, created from
//! `TEST_DATABASE_URL` and dropped (forcibly) when the [`TestDatabase`] is
//! dropped. No test shares state with another, so tests run in parallel.
//!
//! [`assert_same_json`] checks that a response type's serde output is what
//! its OpenAPI schema (poem-openapi's `ToJSON`) says.

use std::time::Duration;

use poem_openapi::types::ToJSON;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr};
use serde::Serialize;

use crate::db::{DbOptions, connect};

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
/// The environment variable choosing the backend explicitly.
pub const TEST_DB: &str = "TRELLIS_TEST_DB";

/// The backend tests run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestBackend {
    /// A temporary SQLite file (or memory).
    Sqlite,
    /// A fresh database on this PostgreSQL server.
    Postgres {
        /// URL of the server's maintenance database.
        admin_url: String,
    },
}

/// The backend the environment asks for. Panics on a contradictory setup
/// (PostgreSQL asked for, but no server given): a test run must never quietly
/// fall back to another database.
#[allow(clippy::panic)]
pub fn backend() -> TestBackend {
    let url = std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|u| !u.is_empty());
    match (std::env::var(TEST_DB).ok().as_deref(), url) {
        (Some("sqlite"), _) | (None, None) => TestBackend::Sqlite,
        (Some("postgres") | None, Some(admin_url)) => TestBackend::Postgres { admin_url },
        (Some("postgres"), None) => {
            panic!("{TEST_DB}=postgres needs {TEST_DATABASE_URL}")
        }
        (Some(other), _) => panic!("{TEST_DB} must be sqlite or postgres, not {other}"),
    }
}

/// For tests that only make sense on PostgreSQL (its constraints, its locks):
/// the server URL, or `None` with a message. Under `CI=true` a missing server
/// is a failure, never a silent skip.
#[allow(clippy::panic)]
pub fn postgres_or_skip(test: &str) -> Option<String> {
    match std::env::var(TEST_DATABASE_URL) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true but {TEST_DATABASE_URL} is not set")
        }
        _ => {
            eprintln!("skipping {test}: set {TEST_DATABASE_URL} to run it on PostgreSQL");
            None
        }
    }
}

/// The environment variable naming a Redis server for tests (preferred).
pub const TEST_REDIS_URL: &str = "TEST_REDIS_URL";
/// Read when [`TEST_REDIS_URL`] is unset: `scripts/with-redis.sh` exports
/// both, and a developer whose `.env` or shell already points `REDIS_URL`
/// at a local server needs nothing more.
pub const REDIS_URL: &str = "REDIS_URL";

/// For tests that need a Redis server: its URL (`TEST_REDIS_URL`, else
/// `REDIS_URL`), or `None` with a message. Under `CI=true` a missing server
/// is a failure, never a silent skip. Tests sharing the server keep apart by
/// a key prefix of their own.
#[allow(clippy::panic)]
pub fn redis_or_skip(test: &str) -> Option<String> {
    let url = [TEST_REDIS_URL, REDIS_URL]
        .into_iter()
        .find_map(|key| std::env::var(key).ok().filter(|u| !u.is_empty()));
    match url {
        Some(url) => Some(url),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true but neither {TEST_REDIS_URL} nor {REDIS_URL} is set")
        }
        None => {
            eprintln!(
                "skipping {test}: set {TEST_REDIS_URL} (or run under scripts/with-redis.sh) to run it against Redis"
            );
            None
        }
    }
}

/// A database that exists for one test.
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("url", &self.url)
            .finish()
    }
}

impl TestDatabase {
    /// Creates an empty database on the backend the environment asks for.
    pub async fn create() -> Result<Self, DbErr> {
        match backend() {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| DbErr::Custom(e.to_string()))?;
                let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
                Ok(Self {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            TestBackend::Postgres { admin_url } => {
                let name = format!("trellis_test_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(admin_url.as_str()).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                admin.close().await?;
                Ok(Self {
                    url: with_database(&admin_url, &name),
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }

    /// The database's URL, for code that opens its own pool (the gateway).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens a small pool to it.
    pub async fn connect(&self) -> Result<DatabaseConnection, DbErr> {
        let options = DbOptions {
            max_connections: 5,
            acquire_timeout: Duration::from_secs(30),
            ..DbOptions::default()
        };
        connect(&self.url, &options).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop may run inside a runtime that is shutting down: use a thread
            // with a runtime of its own. Best effort; the cluster is throwaway.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// A single-connection in-memory SQLite database, or a fresh PostgreSQL one,
/// for service tests. Keep the returned guard alive as long as the connection.
pub async fn fresh_connection() -> Result<(DatabaseConnection, TestDatabase), DbErr> {
    let db = TestDatabase::create().await?;
    let conn = db.connect().await?;
    Ok((conn, db))
}

/// Asserts that serde writes `value` exactly as poem-openapi's `ToJSON`
/// does, and returns what it wrote.
///
/// Responses are written with serde (the gateway's `JsonResponse`) while the
/// spec comes from the `Object` derive, so a view's serde attributes must
/// mirror its `#[oai]` ones: the same keys, an absent `Option` absent in both
/// (never `null` in one), the same text for ids and timestamps. Call it on
/// every view with its optional fields both set and unset.
#[track_caller]
#[allow(clippy::panic)]
pub fn assert_same_json<T: ToJSON + Serialize>(value: &T) -> serde_json::Value {
    let name = std::any::type_name::<T>();
    // Through the bytes a client receives, as the gateway writes them.
    let written = serde_json::to_vec(value)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes));
    let written = match written {
        Ok(written) => written,
        Err(err) => panic!("serde cannot write {name}: {err}"),
    };
    assert_eq!(
        Some(&written),
        value.to_json().as_ref(),
        "serde (left) and ToJSON (right) write {name} differently"
    );
    written
}

/// Replaces the database name in a PostgreSQL URL, keeping its query string.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/postgres", "t1"),
            "postgres://u@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:1/postgres?sslmode=disable", "t2"),
            "postgres://u@h:1/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:1", "t3"),
            "postgres://u@h:1/t3"
        );
    }
}
