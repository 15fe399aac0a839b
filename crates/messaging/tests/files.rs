//! Files and attachments against a real database (SQLite by default,
//! PostgreSQL when TEST_DATABASE_URL is set), with blobs in memory or on
//! disk.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::sync::Arc;

use bytes::Bytes;
use chrono::{Duration, TimeZone, Utc};
use futures_util::TryStreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::{
    clock::ManualClock,
    id::{OrgId, UserId},
    ports::{Memberships, OrgRole},
    testing::{TestDatabase, fresh_connection},
};
use trellis_messaging::{
    Error, Messaging, MessagingDeps,
    files::{BlobError, BlobKey, BlobStore, BlobStream, FileStorage, FilesConfig},
    ids::FileId,
    model::{CreateRoom, FileDownload, NewFile, SendMessage},
    realtime::InProcessBus,
};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

struct NoOrgs;

#[async_trait::async_trait]
impl Memberships for NoOrgs {
    async fn role_of(&self, _user: UserId, _org: OrgId) -> Result<Option<OrgRole>, DbErr> {
        Ok(None)
    }
}

struct World {
    db: DatabaseConnection,
    messaging: Messaging,
    clock: ManualClock,
    _guard: TestDatabase,
}

async fn world_with(storage: FileStorage) -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    let messaging = Messaging::new(
        MessagingDeps {
            clock: Arc::new(clock.clone()),
            memberships: Arc::new(NoOrgs),
            realtime: Arc::new(InProcessBus::new()),
        },
        storage,
    );
    World {
        db,
        messaging,
        clock,
        _guard: guard,
    }
}

async fn world() -> World {
    world_with(FileStorage::in_memory()).await
}

async fn user(db: &DatabaseConnection) -> UserId {
    let id = UserId::new();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES ($1, '[]', false, $2, $2)"
        }
        _ => {
            "INSERT INTO users (id, roles, is_anonymous, created_at, updated_at) VALUES (?, '[]', false, ?, ?)"
        }
    };
    let now = Utc::now();
    let values: Vec<sea_orm::Value> = if backend == sea_orm::DbBackend::Postgres {
        vec![id.0.into(), now.into()]
    } else {
        vec![id.0.into(), now.into(), now.into()]
    };
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend, sql, values,
    ))
    .await
    .unwrap();
    id
}

fn png(name: &str) -> NewFile {
    NewFile {
        name: Some(name.into()),
        declared_type: Some("image/png".into()),
        bytes: Bytes::from_static(PNG),
    }
}

async fn bytes_of(download: FileDownload) -> Vec<u8> {
    let chunks: Vec<Bytes> = download.body.try_collect().await.unwrap();
    chunks.concat()
}

#[tokio::test]
async fn an_upload_is_stored_checked_and_downloaded_by_its_owner() {
    let w = world().await;
    let owner = user(&w.db).await;
    let files = &w.messaging.files;
    let file = files.upload(&w.db, owner, png("a/b/c.png")).await.unwrap();
    assert_eq!(file.name, "c.png");
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.size_bytes, PNG.len() as u64);
    let got = files.download(&w.db, owner, file.id).await.unwrap();
    assert_eq!(got.file.content_type, "image/png");
    assert_eq!(bytes_of(got).await, PNG);

    let stranger = user(&w.db).await;
    assert!(matches!(
        files.download(&w.db, stranger, file.id).await,
        Err(Error::FileNotFound)
    ));
    assert!(matches!(
        files.link(&w.db, stranger, file.id).await,
        Err(Error::FileNotFound)
    ));
    assert!(matches!(
        files.download(&w.db, owner, FileId::new()).await,
        Err(Error::FileNotFound)
    ));
}

#[tokio::test]
async fn uploads_are_refused_for_size_type_and_mismatch() {
    let mut storage = FileStorage::in_memory();
    storage.config = FilesConfig {
        max_bytes: 64,
        ..FilesConfig::default()
    };
    let w = world_with(storage).await;
    let owner = user(&w.db).await;
    let files = &w.messaging.files;
    let mut big = PNG.to_vec();
    big.resize(65, 0);
    let refused = files
        .upload(
            &w.db,
            owner,
            NewFile {
                bytes: big.into(),
                ..png("big.png")
            },
        )
        .await;
    assert!(matches!(refused, Err(Error::FileTooLarge { max: 64 })));
    let zip = NewFile {
        name: Some("a.zip".into()),
        declared_type: None,
        bytes: Bytes::from_static(b"PK\x03\x04\x14\0\0\0\x08\0"),
    };
    assert!(matches!(
        files.upload(&w.db, owner, zip).await,
        Err(Error::TypeNotAllowed(t)) if t == "application/zip"
    ));
    let lying = NewFile {
        declared_type: Some("application/pdf".into()),
        ..png("a.pdf")
    };
    assert!(matches!(
        files.upload(&w.db, owner, lying).await,
        Err(Error::TypeMismatch { .. })
    ));
    let empty = NewFile {
        bytes: Bytes::new(),
        ..png("e.png")
    };
    assert!(matches!(
        files.upload(&w.db, owner, empty).await,
        Err(Error::EmptyFile)
    ));
}

/// A store that keeps track of what it holds, to see nothing is left behind.
struct Tracking {
    inner: trellis_messaging::files::ObjectStoreBlobs,
    held: std::sync::Mutex<std::collections::HashSet<String>>,
}

#[async_trait::async_trait]
impl BlobStore for Tracking {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        self.held.lock().unwrap().insert(key.to_string());
        self.inner.put(key, bytes).await
    }

    async fn get(&self, key: &BlobKey) -> Result<BlobStream, BlobError> {
        self.inner.get(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.held.lock().unwrap().remove(key.as_str());
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn a_failed_upload_leaves_no_blob_behind() {
    let store = Arc::new(Tracking {
        inner: trellis_messaging::files::ObjectStoreBlobs::in_memory(),
        held: Default::default(),
    });
    let w = world_with(FileStorage {
        blobs: store.clone(),
        config: FilesConfig::default(),
    })
    .await;
    // No such user: the row's foreign key refuses it after the blob was written.
    let refused = w
        .messaging
        .files
        .upload(&w.db, UserId::new(), png("x.png"))
        .await;
    assert!(matches!(refused, Err(Error::UserNotFound)), "{refused:?}");
    assert!(store.held.lock().unwrap().is_empty());
    let owner = user(&w.db).await;
    w.messaging
        .files
        .upload(&w.db, owner, png("x.png"))
        .await
        .unwrap();
    assert_eq!(store.held.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn files_on_the_local_disk_are_served_back() {
    let dir = tempfile::tempdir().unwrap();
    let w = world_with(FileStorage {
        blobs: Arc::new(trellis_messaging::files::LocalDiskStore::new(dir.path())),
        config: FilesConfig::default(),
    })
    .await;
    let owner = user(&w.db).await;
    let file = w
        .messaging
        .files
        .upload(&w.db, owner, png("disk.png"))
        .await
        .unwrap();
    let got = w
        .messaging
        .files
        .download(&w.db, owner, file.id)
        .await
        .unwrap();
    assert_eq!(bytes_of(got).await, PNG);
}

#[tokio::test]
async fn room_members_download_what_was_posted_until_the_message_goes() {
    let w = world().await;
    let (owner, member, stranger) = (user(&w.db).await, user(&w.db).await, user(&w.db).await);
    let m = &w.messaging;
    let file = m.files.upload(&w.db, owner, png("p.png")).await.unwrap();
    let room = m
        .rooms
        .create(
            &w.db,
            owner,
            CreateRoom {
                direct_with: None,
                name: Some("team".into()),
                org_id: None,
                members: Some(vec![member]),
            },
        )
        .await
        .unwrap()
        .0;
    let send = |attachments: Vec<FileId>| SendMessage {
        text: "see".into(),
        reply_to: None,
        attachments: Some(attachments),
    };
    let first = m
        .messages
        .send(&w.db, owner, room.id, send(vec![file.id]))
        .await
        .unwrap();
    assert_eq!(first.attachments.len(), 1);
    assert_eq!(first.attachments[0].id, file.id);
    let second = m
        .messages
        .send(&w.db, owner, room.id, send(vec![file.id]))
        .await
        .unwrap();

    assert!(m.files.download(&w.db, member, file.id).await.is_ok());
    assert!(matches!(
        m.files.download(&w.db, stranger, file.id).await,
        Err(Error::FileNotFound)
    ));
    // The member may not attach the owner's file.
    let refused = m
        .messages
        .send(&w.db, member, room.id, send(vec![file.id]))
        .await;
    match refused {
        Err(Error::Validation(errors)) => assert_eq!(errors[0].field, "attachments[0]"),
        other => panic!("expected a 422, got {other:?}"),
    }

    m.messages
        .delete(&w.db, owner, room.id, first.id)
        .await
        .unwrap();
    assert!(m.files.download(&w.db, member, file.id).await.is_ok());
    m.messages
        .delete(&w.db, owner, room.id, second.id)
        .await
        .unwrap();
    assert!(matches!(
        m.files.download(&w.db, member, file.id).await,
        Err(Error::FileNotFound)
    ));
    // The owner keeps the file, and may post it again.
    assert!(m.files.download(&w.db, owner, file.id).await.is_ok());
    let again = m
        .messages
        .send(&w.db, owner, room.id, send(vec![file.id]))
        .await
        .unwrap();
    assert_eq!(again.attachments[0].name, "p.png");
    assert!(m.files.download(&w.db, member, file.id).await.is_ok());
}

#[tokio::test]
async fn a_signed_link_opens_the_file_until_it_expires() {
    let w = world().await;
    let owner = user(&w.db).await;
    let files = &w.messaging.files;
    let file = files.upload(&w.db, owner, png("s.png")).await.unwrap();
    let link = files.link(&w.db, owner, file.id).await.unwrap();
    assert_eq!(
        link.expires_at,
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 15, 0).unwrap()
    );
    let sig = link.signature.as_str();
    let opened = files.open_link(&w.db, file.id, link.expires, sig).await;
    assert_eq!(bytes_of(opened.unwrap()).await, PNG);
    let later = files
        .open_link(&w.db, file.id, link.expires + 60, sig)
        .await;
    assert!(matches!(later, Err(Error::LinkInvalid)));
    let forged = files
        .open_link(&w.db, file.id, link.expires, "forged")
        .await;
    assert!(matches!(forged, Err(Error::LinkInvalid)));
    w.clock.advance(Duration::minutes(15));
    let expired = files.open_link(&w.db, file.id, link.expires, sig).await;
    assert!(matches!(expired, Err(Error::LinkExpired)));
}

#[tokio::test]
async fn a_file_of_a_deleted_account_stays_for_its_rooms() {
    let w = world().await;
    let (owner, member) = (user(&w.db).await, user(&w.db).await);
    let m = &w.messaging;
    let file = m.files.upload(&w.db, owner, png("kept.png")).await.unwrap();
    let room = m
        .rooms
        .create(
            &w.db,
            owner,
            CreateRoom {
                direct_with: Some(member),
                name: None,
                org_id: None,
                members: None,
            },
        )
        .await
        .unwrap()
        .0;
    m.messages
        .send(
            &w.db,
            owner,
            room.id,
            SendMessage {
                text: "bye".into(),
                reply_to: None,
                attachments: Some(vec![file.id]),
            },
        )
        .await
        .unwrap();
    let backend = w.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "DELETE FROM users WHERE id = $1",
        _ => "DELETE FROM users WHERE id = ?",
    };
    w.db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        sql,
        [owner.0.into()],
    ))
    .await
    .unwrap();
    assert!(m.files.download(&w.db, member, file.id).await.is_ok());
}

/// A local S3-compatible server (moto, `support/s3_server.py`) with one
/// bucket, stopped when dropped.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

const BUCKET: &str = "trellis-files";

impl S3Server {
    /// Starts one, or `None` (with a message) when Python's moto is not
    /// installed; under `CI=true` that is a failure, never a skip.
    fn start(test: &str) -> Option<Self> {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.log");
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/s3_server.py");
        let spawned = std::process::Command::new("python3")
            .arg(&script)
            .arg(BUCKET)
            .arg(&log)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn();
        let started = spawned.ok().and_then(|mut child| {
            let stdout = child.stdout.take()?;
            let mut line = String::new();
            std::io::BufReader::new(stdout).read_line(&mut line).ok()?;
            match line.trim().parse::<u16>() {
                Ok(port) => Some((child, port)),
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    None
                }
            }
        });
        match started {
            Some((child, port)) => Some(Self {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
                log,
                _dir: dir,
            }),
            None if std::env::var("CI").as_deref() == Ok("true") => {
                panic!(
                    "{test}: CI=true but the S3 server did not start (pip install 'moto[server]')"
                )
            }
            None => {
                eprintln!("skipping {test}: python3 with moto[server] is not installed");
                None
            }
        }
    }

    fn settings(&self) -> trellis_messaging::files::S3Settings {
        trellis_messaging::files::S3Settings {
            bucket: BUCKET.into(),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some("test-access-key".into()),
            secret_access_key: Some("test-secret-key".to_string().into()),
        }
    }

    /// Every request the server saw: `METHOD PATH AUTH-SCHEME`.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn blobs_round_trip_through_an_s3_compatible_server_with_signed_requests() {
    let Some(server) = S3Server::start("blobs_round_trip_through_an_s3_compatible_server") else {
        return;
    };
    let store = trellis_messaging::files::ObjectStoreBlobs::s3(&server.settings()).unwrap();
    let key = BlobKey::for_file(FileId::new());
    assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    store.put(&key, Bytes::from(bytes.clone())).await.unwrap();
    let read: Vec<Bytes> = store.get(&key).await.unwrap().try_collect().await.unwrap();
    assert_eq!(read.concat(), bytes);
    store.delete(&key).await.unwrap();
    assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
    store.delete(&key).await.unwrap();

    // The object is written and read at its own name; every request
    // (object_store deletes with a bulk `POST ?delete`) is signed.
    let object = format!("/{BUCKET}/files/{key}");
    let requests = server.requests();
    for method in ["PUT", "GET"] {
        let line = format!("{method} {object} AWS4-HMAC-SHA256");
        assert!(requests.contains(&line), "{line} in {requests:#?}");
    }
    assert!(
        requests.iter().all(|r| r.ends_with(" AWS4-HMAC-SHA256")),
        "{requests:#?}"
    );
}

#[tokio::test]
async fn uploads_and_downloads_work_on_an_s3_compatible_server() {
    let Some(server) = S3Server::start("uploads_and_downloads_work_on_an_s3_compatible_server")
    else {
        return;
    };
    let store = trellis_messaging::files::ObjectStoreBlobs::s3(&server.settings()).unwrap();
    let w = world_with(FileStorage {
        blobs: Arc::new(store),
        config: FilesConfig::default(),
    })
    .await;
    let owner = user(&w.db).await;
    let file = w
        .messaging
        .files
        .upload(&w.db, owner, png("s3.png"))
        .await
        .unwrap();
    let got = w
        .messaging
        .files
        .download(&w.db, owner, file.id)
        .await
        .unwrap();
    assert_eq!(bytes_of(got).await, PNG);
    assert!(
        server
            .requests()
            .contains(&format!("PUT /{BUCKET}/files/{} AWS4-HMAC-SHA256", file.id))
    );
}
