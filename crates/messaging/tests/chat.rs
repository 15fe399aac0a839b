//! Chat services against a real database (SQLite by default, PostgreSQL
//! when TEST_DATABASE_URL is set), with the in-process realtime bus.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::{collections::HashMap, sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use trellis_kernel::{
    PageRequest, SystemClock,
    id::{OrgId, UserId},
    pagination::Cursor,
    ports::{Memberships, OrgRole},
    testing::{TestDatabase, fresh_connection},
};
use trellis_messaging::{
    Error, Messaging, MessagingDeps,
    events::{MESSAGE_CREATED, MessageCreated},
    files::FileStorage,
    model::{
        AddMember, ChangeRole, CreateRoom, EditMessage, MarkRead, MemberRole, RoomKind, SendMessage,
    },
    realtime::{InProcessBus, RealtimeBus, Subscription},
};

/// Memberships fixed by the test.
#[derive(Default)]
struct Orgs(HashMap<(UserId, OrgId), OrgRole>);

#[async_trait::async_trait]
impl Memberships for Orgs {
    async fn role_of(&self, user: UserId, org: OrgId) -> Result<Option<OrgRole>, DbErr> {
        Ok(self.0.get(&(user, org)).copied())
    }
}

struct World {
    db: DatabaseConnection,
    chat: Messaging,
    bus: InProcessBus,
    _guard: TestDatabase,
}

async fn world(orgs: Orgs) -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let bus = InProcessBus::new();
    let chat = Messaging::new(
        MessagingDeps {
            clock: SystemClock::shared(),
            memberships: Arc::new(orgs),
            realtime: Arc::new(bus.clone()),
        },
        FileStorage::in_memory(),
    );
    World {
        db,
        chat,
        bus,
        _guard: guard,
    }
}

/// Inserts a row with a fresh id and `created_at = updated_at = now`; the
/// other columns are literals in `columns`/`literals` (owned by identity,
/// whose services these tests do not link).
async fn insert_row(
    db: &DatabaseConnection,
    table: &str,
    columns: &str,
    literals: &str,
) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    let backend = db.get_database_backend();
    let (a, b) = if backend == DbBackend::Postgres {
        ("$1", "$2")
    } else {
        ("?1", "?2")
    };
    let sql = format!(
        "INSERT INTO {table} (id, {columns}, created_at, updated_at) VALUES ({a}, {literals}, {b}, {b})"
    );
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [id.into(), now.into()],
    ))
    .await
    .unwrap();
    id
}

async fn user(db: &DatabaseConnection) -> UserId {
    UserId(insert_row(db, "users", "roles, is_anonymous", "'[]', false").await)
}

async fn organization(db: &DatabaseConnection) -> OrgId {
    OrgId(insert_row(db, "organizations", "name", "'o'").await)
}

fn direct(with: UserId) -> CreateRoom {
    CreateRoom {
        direct_with: Some(with),
        name: None,
        org_id: None,
        members: None,
    }
}

fn group(name: &str, members: Vec<UserId>) -> CreateRoom {
    CreateRoom {
        direct_with: None,
        name: Some(name.into()),
        org_id: None,
        members: Some(members),
    }
}

fn text(t: &str) -> SendMessage {
    SendMessage {
        text: t.into(),
        reply_to: None,
        attachments: None,
    }
}

/// Frames waiting on a subscription, parsed.
fn drain(sub: &mut Subscription) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    while let Some(frame) = sub.try_recv() {
        out.push(serde_json::from_str(frame.as_str()).unwrap());
    }
    out
}

#[tokio::test]
async fn a_pair_has_one_direct_room_however_often_it_is_asked_for() {
    let w = world(Orgs::default()).await;
    let (ana, bo) = (user(&w.db).await, user(&w.db).await);
    let (first, created) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    assert!(created);
    assert_eq!(first.kind, RoomKind::Direct);
    let (again, created) = w.chat.rooms.create(&w.db, bo, direct(ana)).await.unwrap();
    assert!(!created);
    assert_eq!(again.id, first.id);
    // Concurrent asks still make one room.
    let (cy, di) = (user(&w.db).await, user(&w.db).await);
    let (a, b) = tokio::join!(
        w.chat.rooms.create(&w.db, cy, direct(di)),
        w.chat.rooms.create(&w.db, di, direct(cy)),
    );
    assert_eq!(a.unwrap().0.id, b.unwrap().0.id);
    // Not with oneself, not with nobody.
    assert!(matches!(
        w.chat.rooms.create(&w.db, ana, direct(ana)).await,
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        w.chat.rooms.create(&w.db, ana, direct(UserId::new())).await,
        Err(Error::UserNotFound)
    ));
}

#[tokio::test]
async fn an_organizations_room_takes_only_its_members() {
    let (w, org, ana, bo, stranger) = {
        let (db, guard) = fresh_connection().await.unwrap();
        trellis_migration::Migrator::up(&db, None).await.unwrap();
        let org = organization(&db).await;
        let (ana, bo, stranger) = (user(&db).await, user(&db).await, user(&db).await);
        let orgs = Orgs(HashMap::from([
            ((ana, org), OrgRole::Owner),
            ((bo, org), OrgRole::Member),
        ]));
        let bus = InProcessBus::new();
        let chat = Messaging::new(
            MessagingDeps {
                clock: SystemClock::shared(),
                memberships: Arc::new(orgs),
                realtime: Arc::new(bus.clone()),
            },
            FileStorage::in_memory(),
        );
        (
            World {
                db,
                chat,
                bus,
                _guard: guard,
            },
            org,
            ana,
            bo,
            stranger,
        )
    };
    let mut cmd = group("team", vec![bo]);
    cmd.org_id = Some(org);
    let (room, _) = w.chat.rooms.create(&w.db, ana, cmd.clone()).await.unwrap();
    assert_eq!(room.org_id, Some(org));
    assert_eq!(room.my_role, MemberRole::Admin);
    assert!(matches!(
        w.chat.rooms.create(&w.db, stranger, cmd.clone()).await,
        Err(Error::Access(_))
    ));
    cmd.members = Some(vec![stranger]);
    assert!(matches!(
        w.chat.rooms.create(&w.db, ana, cmd).await,
        Err(Error::NotOrgMember)
    ));
    let add = AddMember {
        user_id: stranger,
        role: None,
    };
    assert!(matches!(
        w.chat.rooms.add_member(&w.db, ana, room.id, add).await,
        Err(Error::NotOrgMember)
    ));
}

#[tokio::test]
async fn rooms_list_by_activity_with_last_message_and_unread_count() {
    let w = world(Orgs::default()).await;
    let (ana, bo, cy) = (user(&w.db).await, user(&w.db).await, user(&w.db).await);
    let (older, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let (newer, _) = w
        .chat
        .rooms
        .create(&w.db, ana, group("g", vec![bo, cy]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let m1 = w
        .chat
        .messages
        .send(&w.db, bo, older.id, text("one"))
        .await
        .unwrap();
    w.chat
        .messages
        .send(&w.db, bo, older.id, text("two"))
        .await
        .unwrap();
    w.chat
        .messages
        .send(&w.db, ana, older.id, text("mine"))
        .await
        .unwrap();

    let page = w
        .chat
        .rooms
        .list(&w.db, ana, &PageRequest::default())
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        vec![older.id, newer.id],
        "the room with the newest message first"
    );
    assert_eq!(
        page.items[0].unread_count, 2,
        "my own message is never unread"
    );
    assert_eq!(
        page.items[0]
            .last_message
            .as_ref()
            .and_then(|m| m.text.as_deref()),
        Some("mine")
    );
    assert_eq!(page.items[1].unread_count, 0);
    assert!(page.items[1].last_message.is_none());

    // Reading moves forward only.
    let read = w
        .chat
        .messages
        .mark_read(&w.db, ana, older.id, MarkRead { up_to: m1.id })
        .await
        .unwrap();
    assert_eq!(read.unread_count, 1);
    let latest = w.chat.rooms.get(&w.db, ana, older.id).await.unwrap();
    let last = latest.last_message.unwrap().id;
    let read = w
        .chat
        .messages
        .mark_read(&w.db, ana, older.id, MarkRead { up_to: last })
        .await
        .unwrap();
    assert_eq!((read.up_to, read.unread_count), (last, 0));
    let back = w
        .chat
        .messages
        .mark_read(&w.db, ana, older.id, MarkRead { up_to: m1.id })
        .await
        .unwrap();
    assert_eq!(
        (back.up_to, back.unread_count),
        (last, 0),
        "an older receipt never moves it back"
    );

    // Paging: one room per page, in order.
    let first = PageRequest::parse(Some(1), None).unwrap();
    let p1 = w.chat.rooms.list(&w.db, ana, &first).await.unwrap();
    let next = PageRequest::parse(Some(1), p1.next_cursor.clone()).unwrap();
    let p2 = w.chat.rooms.list(&w.db, ana, &next).await.unwrap();
    assert_eq!(p1.items[0].id, older.id);
    assert_eq!(p2.items[0].id, newer.id);
    assert!(p2.next_cursor.is_none());
}

#[tokio::test]
async fn history_is_newest_first_in_keyset_pages() {
    let w = world(Orgs::default()).await;
    let (ana, bo) = (user(&w.db).await, user(&w.db).await);
    let (room, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let mut sent = Vec::new();
    for i in 0..7 {
        sent.push(
            w.chat
                .messages
                .send(&w.db, ana, room.id, text(&format!("m{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = PageRequest::parse(Some(3), cursor.map(|c| c.as_str().to_owned())).unwrap();
        let got = w
            .chat
            .messages
            .history(&w.db, bo, room.id, &page)
            .await
            .unwrap();
        seen.extend(got.items.iter().map(|m| m.id));
        match got.next_cursor {
            Some(next) => cursor = Some(Cursor::from_client(next).unwrap()),
            None => break,
        }
    }
    sent.reverse();
    assert_eq!(seen, sent);
}

#[tokio::test]
async fn only_the_author_edits_and_deletes_and_a_tombstone_keeps_no_text() {
    let w = world(Orgs::default()).await;
    let (ana, bo) = (user(&w.db).await, user(&w.db).await);
    let (room, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let m = w
        .chat
        .messages
        .send(&w.db, ana, room.id, text("  secret plan  "))
        .await
        .unwrap();
    assert_eq!(m.text.as_deref(), Some("secret plan"));
    let edit = || EditMessage {
        text: "new plan".into(),
    };
    assert!(matches!(
        w.chat.messages.edit(&w.db, bo, room.id, m.id, edit()).await,
        Err(Error::NotAuthor)
    ));
    let edited = w
        .chat
        .messages
        .edit(&w.db, ana, room.id, m.id, edit())
        .await
        .unwrap();
    assert!(edited.edited_at.is_some());
    assert!(matches!(
        w.chat.messages.delete(&w.db, bo, room.id, m.id).await,
        Err(Error::NotAuthor)
    ));
    w.chat
        .messages
        .delete(&w.db, ana, room.id, m.id)
        .await
        .unwrap();
    let history = w
        .chat
        .messages
        .history(&w.db, bo, room.id, &PageRequest::default())
        .await
        .unwrap();
    assert!(history.items[0].deleted);
    assert!(history.items[0].text.is_none());
    let stored =
        w.db.query_one_raw(Statement::from_string(
            w.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM chat_messages WHERE text IS NOT NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.try_get::<i64>("", "n").unwrap(),
        0,
        "the text is gone from the database"
    );
    assert!(matches!(
        w.chat
            .messages
            .edit(&w.db, ana, room.id, m.id, edit())
            .await,
        Err(Error::MessageDeleted)
    ));
}

#[tokio::test]
async fn strangers_cannot_tell_a_room_exists() {
    let w = world(Orgs::default()).await;
    let (ana, bo, eve) = (user(&w.db).await, user(&w.db).await, user(&w.db).await);
    let (room, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let m = w
        .chat
        .messages
        .send(&w.db, ana, room.id, text("hi"))
        .await
        .unwrap();
    let page = PageRequest::default();
    assert!(matches!(
        w.chat.rooms.get(&w.db, eve, room.id).await,
        Err(Error::RoomNotFound)
    ));
    assert!(matches!(
        w.chat.messages.history(&w.db, eve, room.id, &page).await,
        Err(Error::RoomNotFound)
    ));
    assert!(matches!(
        w.chat.messages.send(&w.db, eve, room.id, text("x")).await,
        Err(Error::RoomNotFound)
    ));
    assert!(matches!(
        w.chat
            .messages
            .mark_read(&w.db, eve, room.id, MarkRead { up_to: m.id })
            .await,
        Err(Error::RoomNotFound)
    ));
    assert!(matches!(
        w.chat.rooms.remove_member(&w.db, eve, room.id, eve).await,
        Err(Error::RoomNotFound)
    ));
}

#[tokio::test]
async fn the_last_admin_hands_over_before_leaving() {
    let w = world(Orgs::default()).await;
    let (ana, bo) = (user(&w.db).await, user(&w.db).await);
    let (room, _) = w
        .chat
        .rooms
        .create(&w.db, ana, group("g", vec![bo]))
        .await
        .unwrap();
    assert!(matches!(
        w.chat.rooms.remove_member(&w.db, ana, room.id, ana).await,
        Err(Error::LastAdmin)
    ));
    assert!(matches!(
        w.chat.rooms.remove_member(&w.db, bo, room.id, ana).await,
        Err(Error::AdminRequired)
    ));
    assert!(matches!(
        w.chat
            .rooms
            .change_role(
                &w.db,
                ana,
                room.id,
                ana,
                ChangeRole {
                    role: MemberRole::Member
                }
            )
            .await,
        Err(Error::LastAdmin)
    ));
    w.chat
        .rooms
        .change_role(
            &w.db,
            ana,
            room.id,
            bo,
            ChangeRole {
                role: MemberRole::Admin,
            },
        )
        .await
        .unwrap();
    w.chat
        .rooms
        .remove_member(&w.db, ana, room.id, ana)
        .await
        .unwrap();
    assert!(matches!(
        w.chat.rooms.get(&w.db, ana, room.id).await,
        Err(Error::RoomNotFound)
    ));
    // The last member leaving deletes the group.
    w.chat
        .rooms
        .remove_member(&w.db, bo, room.id, bo)
        .await
        .unwrap();
    assert!(matches!(
        w.chat.rooms.get(&w.db, bo, room.id).await,
        Err(Error::RoomNotFound)
    ));
    // A direct room's members are fixed.
    let (d, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    assert!(matches!(
        w.chat.rooms.remove_member(&w.db, ana, d.id, ana).await,
        Err(Error::DirectRoom)
    ));
}

#[tokio::test]
async fn changes_reach_members_and_a_removed_member_hears_nothing_more() {
    let w = world(Orgs::default()).await;
    let (ana, bo, cy) = (user(&w.db).await, user(&w.db).await, user(&w.db).await);
    let mut bo_socket = w.bus.connect(bo, 64);
    let mut cy_socket = w.bus.connect(cy, 64);
    let (room, _) = w
        .chat
        .rooms
        .create(&w.db, ana, group("g", vec![bo]))
        .await
        .unwrap();
    let kinds = |frames: Vec<serde_json::Value>| -> Vec<String> {
        frames
            .iter()
            .map(|f| f["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(kinds(drain(&mut bo_socket)), ["room_created"]);
    w.chat
        .messages
        .send(&w.db, ana, room.id, text("hello"))
        .await
        .unwrap();
    let frames = drain(&mut bo_socket);
    assert_eq!(kinds(frames.clone()), ["message"]);
    assert_eq!(frames[0]["message"]["text"], "hello");
    assert!(drain(&mut cy_socket).is_empty(), "not a member: nothing");

    w.chat
        .rooms
        .remove_member(&w.db, ana, room.id, bo)
        .await
        .unwrap();
    assert_eq!(kinds(drain(&mut bo_socket)), ["member_left"]);
    w.chat
        .messages
        .send(&w.db, ana, room.id, text("after"))
        .await
        .unwrap();
    assert!(drain(&mut bo_socket).is_empty(), "removed: nothing more");
}

#[tokio::test]
async fn a_sent_message_is_recorded_for_the_notifications_half() {
    let w = world(Orgs::default()).await;
    let (ana, bo) = (user(&w.db).await, user(&w.db).await);
    let (room, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let m = w
        .chat
        .messages
        .send(&w.db, ana, room.id, text(&"x".repeat(300)))
        .await
        .unwrap();
    let row =
        w.db.query_one_raw(Statement::from_string(
            w.db.get_database_backend(),
            "SELECT kind, aggregate_id, payload FROM outbox_events",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "kind").unwrap(), MESSAGE_CREATED);
    assert_eq!(
        row.try_get::<String>("", "aggregate_id").unwrap(),
        m.id.0.to_string()
    );
    let payload: MessageCreated =
        serde_json::from_str(&row.try_get::<String>("", "payload").unwrap()).unwrap();
    assert_eq!(payload.recipients, vec![bo]);
    assert_eq!(payload.sender_id, ana);
    assert_eq!(payload.preview.chars().count(), 200);
}

#[tokio::test]
async fn a_reply_points_into_the_same_room() {
    let w = world(Orgs::default()).await;
    let (ana, bo, cy) = (user(&w.db).await, user(&w.db).await, user(&w.db).await);
    let (room, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let (other, _) = w.chat.rooms.create(&w.db, ana, direct(cy)).await.unwrap();
    let elsewhere = w
        .chat
        .messages
        .send(&w.db, ana, other.id, text("there"))
        .await
        .unwrap();
    let here = w
        .chat
        .messages
        .send(&w.db, ana, room.id, text("here"))
        .await
        .unwrap();
    let reply = SendMessage {
        text: "re".into(),
        reply_to: Some(here.id),
        attachments: None,
    };
    assert_eq!(
        w.chat
            .messages
            .send(&w.db, bo, room.id, reply)
            .await
            .unwrap()
            .reply_to,
        Some(here.id)
    );
    let stray = SendMessage {
        text: "re".into(),
        reply_to: Some(elsewhere.id),
        attachments: None,
    };
    assert!(matches!(
        w.chat.messages.send(&w.db, bo, room.id, stray).await,
        Err(Error::Validation(_))
    ));
}

/// The history of a room with a million messages is served by the history
/// index: no sort, no scan of the room's other rows. Prints the plan (run
/// with `--nocapture`; the README quotes it). A million rows on PostgreSQL;
/// SQLite's planner needs fewer to show the same.
#[tokio::test]
async fn history_pages_of_a_million_messages_walk_the_index() {
    let w = world(Orgs::default()).await;
    let (ana, bo) = (user(&w.db).await, user(&w.db).await);
    let (room, _) = w.chat.rooms.create(&w.db, ana, direct(bo)).await.unwrap();
    let backend = w.db.get_database_backend();
    let fill = match backend {
        DbBackend::Postgres => format!(
            "INSERT INTO chat_messages (id, room_id, sender_id, text, created_at)
             SELECT gen_random_uuid(), '{room}', '{ana}', 'message ' || i,
                    TIMESTAMPTZ '2026-01-01 00:00:00Z' + i * INTERVAL '1 second'
             FROM generate_series(1, 1000000) AS i;
             ANALYZE chat_messages;",
            room = room.id.0,
            ana = ana.0,
        ),
        _ => "ANALYZE".to_owned(),
    };
    w.db.execute_unprepared(&fill).await.unwrap();
    if backend != DbBackend::Postgres {
        for i in 0..200 {
            w.chat
                .messages
                .send(&w.db, ana, room.id, text(&format!("m{i}")))
                .await
                .unwrap();
        }
        w.db.execute_unprepared("ANALYZE").await.unwrap();
    }
    // A page in the middle of the history, as a cursor asks for it.
    let before = (
        chrono::DateTime::parse_from_rfc3339("2026-01-07T00:00:00Z")
            .unwrap()
            .to_utc(),
        trellis_messaging::ids::MessageId::new(),
    );
    let stmt = trellis_messaging::service::history_statement(backend, room.id, Some(before), 51);
    let explain = match backend {
        DbBackend::Postgres => "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let rows =
        w.db.query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("{explain}{}", stmt.sql),
            stmt.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap();
    let plan: Vec<String> = rows
        .iter()
        .map(|row| match backend {
            DbBackend::Postgres => row.try_get_by_index::<String>(0).unwrap(),
            _ => row.try_get::<String>("", "detail").unwrap(),
        })
        .collect();
    let plan = plan.join("\n");
    println!("{}\n{plan}", stmt.sql);
    match backend {
        DbBackend::Postgres => {
            assert!(
                plan.contains("Index Scan Backward using ix_chat_messages_history"),
                "{plan}"
            );
            assert!(!plan.contains("Sort"), "{plan}");
        }
        _ => {
            assert!(
                plan.contains("USING INDEX ix_chat_messages_history"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
}
