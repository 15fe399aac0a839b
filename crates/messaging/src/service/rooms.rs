//! Rooms and their members.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, SqlErr,
    TransactionSession, TransactionTrait, sea_query::Expr,
};
use trellis_kernel::{
    Page, PageRequest,
    id::{OrgId, UserId},
    ports::AccessError,
};
use validator::Validate;

use crate::{
    entities::{member, message, room},
    error::{Error, Result},
    ids::{MessageId, RoomId},
    model::{AddMember, ChangeRole, CreateRoom, MemberRole, RoomKind, RoomMemberView, RoomView},
    realtime::{MemberEvent, RoomCreatedEvent, ServerEvent},
    service::{MessagingDeps, access, attachments, keyset},
    view,
};

/// The newest message of the room of the row (correlated subquery).
const LAST_MESSAGE_ID: &str = r#"(SELECT "x"."id" FROM "chat_messages" AS "x"
    WHERE "x"."room_id" = "chat_rooms"."id"
    ORDER BY "x"."created_at" DESC, "x"."id" DESC LIMIT 1)"#;

/// Messages by others after the member's read marker, deleted ones aside.
/// The history index `(room_id, created_at, id)` makes it a range scan.
const UNREAD_COUNT: &str = r#"(SELECT COUNT(*) FROM "chat_messages" AS "x"
    WHERE "x"."room_id" = "chat_members"."room_id"
      AND "x"."deleted_at" IS NULL
      AND ("x"."sender_id" IS NULL OR "x"."sender_id" <> "chat_members"."user_id")
      AND ("chat_members"."read_at" IS NULL
           OR "x"."created_at" > "chat_members"."read_at"
           OR ("x"."created_at" = "chat_members"."read_at"
               AND "x"."id" > "chat_members"."read_message_id")))"#;

/// One row of "my rooms": the room, my role, its newest message's id and
/// my unread count, all from one statement.
#[derive(Debug, FromQueryResult)]
struct RoomRow {
    id: RoomId,
    kind: RoomKind,
    name: Option<String>,
    org_id: Option<OrgId>,
    last_activity_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    my_role: MemberRole,
    last_message_id: Option<MessageId>,
    unread_count: i64,
}

/// Rooms and members.
#[derive(Debug, Clone)]
pub struct RoomService {
    deps: Arc<MessagingDeps>,
}

impl RoomService {
    pub(crate) fn new(deps: Arc<MessagingDeps>) -> Self {
        Self { deps }
    }

    /// Creates a room. A direct room that exists already is returned as it
    /// is, with `false`: asking twice (or concurrently) never makes two.
    pub async fn create(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        cmd: CreateRoom,
    ) -> Result<(RoomView, bool)> {
        cmd.validate()?;
        match (cmd.direct_with, cmd.name) {
            (Some(other), None) => {
                if cmd.org_id.is_some() || cmd.members.is_some() {
                    return Err(Error::field(
                        "direct_with",
                        "a direct room takes no org_id or members",
                    ));
                }
                self.create_direct(db, caller, other).await
            }
            (None, Some(name)) => {
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return Err(Error::field("name", "must not be blank"));
                }
                let members = cmd.members.unwrap_or_default();
                let room = self
                    .create_group(db, caller, name, cmd.org_id, members)
                    .await?;
                Ok((room, true))
            }
            _ => Err(Error::field(
                "direct_with",
                "give either direct_with (a direct room) or name (a group)",
            )),
        }
    }

    async fn create_direct(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        other: UserId,
    ) -> Result<(RoomView, bool)> {
        if other == caller {
            return Err(Error::field(
                "direct_with",
                "a direct room needs another person",
            ));
        }
        let key = direct_key(caller, other);
        if let Some(existing) = self.direct_room(db, &key).await? {
            return Ok((self.get(db, caller, existing).await?, false));
        }
        let now = self.deps.clock.now();
        let room_id = RoomId::new();
        let txn = db.begin_write().await?;
        let inserted = room::Entity::insert(room::ActiveModel {
            id: Set(room_id),
            kind: Set(RoomKind::Direct),
            name: Set(None),
            org_id: Set(None),
            direct_key: Set(Some(key.clone())),
            created_by: Set(Some(caller)),
            last_activity_at: Set(now),
            created_at: Set(now),
        })
        .exec(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                // Someone created the pair's room meanwhile: that one it is.
                drop(txn);
                let existing = self
                    .direct_room(db, &key)
                    .await?
                    .ok_or(Error::RoomNotFound)?;
                return Ok((self.get(db, caller, existing).await?, false));
            }
            Err(err) => return Err(err.into()),
        }
        for user in [caller, other] {
            insert_member(&txn, room_id, user, MemberRole::Member, now).await?;
        }
        txn.commit().await?;
        let created = RoomCreatedEvent {
            room_id,
            kind: RoomKind::Direct,
            name: None,
        };
        self.announce_room(vec![caller, other], created).await;
        Ok((self.get(db, caller, room_id).await?, true))
    }

    async fn direct_room(&self, db: &impl ConnectionTrait, key: &str) -> Result<Option<RoomId>> {
        Ok(room::Entity::find()
            .filter(room::Column::DirectKey.eq(key))
            .one(db)
            .await?
            .map(|r| r.id))
    }

    async fn create_group(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        name: String,
        org_id: Option<OrgId>,
        members: Vec<UserId>,
    ) -> Result<RoomView> {
        if let Some(org) = org_id {
            // The creator must belong to the organization; a stranger learns
            // nothing about it.
            if self.deps.memberships.role_of(caller, org).await?.is_none() {
                return Err(AccessError::NotFound.into());
            }
        }
        let others: BTreeSet<UserId> = members.into_iter().filter(|u| *u != caller).collect();
        if let Some(org) = org_id {
            for user in &others {
                if self.deps.memberships.role_of(*user, org).await?.is_none() {
                    return Err(Error::NotOrgMember);
                }
            }
        }
        let now = self.deps.clock.now();
        let room_id = RoomId::new();
        let txn = db.begin_write().await?;
        room::Entity::insert(room::ActiveModel {
            id: Set(room_id),
            kind: Set(RoomKind::Group),
            name: Set(Some(name.clone())),
            org_id: Set(org_id),
            direct_key: Set(None),
            created_by: Set(Some(caller)),
            last_activity_at: Set(now),
            created_at: Set(now),
        })
        .exec(&txn)
        .await?;
        insert_member(&txn, room_id, caller, MemberRole::Admin, now).await?;
        for user in &others {
            insert_member(&txn, room_id, *user, MemberRole::Member, now).await?;
        }
        txn.commit().await?;
        let created = RoomCreatedEvent {
            room_id,
            kind: RoomKind::Group,
            name: Some(name),
        };
        let to = std::iter::once(caller).chain(others).collect();
        self.announce_room(to, created).await;
        self.get(db, caller, room_id).await
    }

    /// Tells every member of a new room about it (after the commit).
    async fn announce_room(&self, to: Vec<UserId>, event: RoomCreatedEvent) {
        let event = ServerEvent::RoomCreated(event);
        access::publish(self.deps.realtime.as_ref(), to, &event).await;
    }

    /// The caller's rooms, most recently active first, each with its newest
    /// message and the caller's unread count (three statements for the page:
    /// the rooms, their newest messages, those messages' attachments).
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        page: &PageRequest,
    ) -> Result<Page<RoomView>> {
        let after: Option<(DateTime<Utc>, RoomId)> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut query = self.rows().filter(member::Column::UserId.eq(caller));
        if let Some((at, id)) = after {
            query = query.filter(keyset::before(
                (room::Entity, room::Column::LastActivityAt),
                (room::Entity, room::Column::Id),
                (at, id),
            ));
        }
        let rows = query
            .order_by_desc(room::Column::LastActivityAt)
            .order_by_desc(room::Column::Id)
            .limit(page.fetch_limit())
            .into_model::<RoomRow>()
            .all(db)
            .await?;
        let last_ids: Vec<MessageId> = rows.iter().filter_map(|r| r.last_message_id).collect();
        let last_messages: HashMap<MessageId, message::Model> = if last_ids.is_empty() {
            HashMap::new()
        } else {
            message::Entity::find()
                .filter(message::Column::Id.is_in(last_ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect()
        };
        let attached = attachments::of_messages(db, &last_ids).await?;
        Ok(Page::from_rows(
            rows,
            page,
            |r| (r.last_activity_at, r.id),
            |r| {
                let last = r
                    .last_message_id
                    .and_then(|id| last_messages.get(&id).cloned())
                    .map(|m| {
                        let files = attached.get(&m.id).cloned().unwrap_or_default();
                        view::message(m, files)
                    });
                room_view(r, last, None)
            },
        ))
    }

    /// The room-list statement without its filter and order.
    fn rows(&self) -> sea_orm::Select<room::Entity> {
        room::Entity::find()
            .select_only()
            .columns([
                room::Column::Id,
                room::Column::Kind,
                room::Column::Name,
                room::Column::OrgId,
                room::Column::LastActivityAt,
                room::Column::CreatedAt,
            ])
            .column_as(member::Column::Role, "my_role")
            .column_as(Expr::cust(LAST_MESSAGE_ID), "last_message_id")
            .column_as(Expr::cust(UNREAD_COUNT), "unread_count")
            .join(JoinType::InnerJoin, room::Relation::Members.def())
    }

    /// One room with its members, as the calling member sees it.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
    ) -> Result<RoomView> {
        let row = self
            .rows()
            .filter(member::Column::UserId.eq(caller))
            .filter(room::Column::Id.eq(room_id))
            .into_model::<RoomRow>()
            .one(db)
            .await?
            .ok_or(Error::RoomNotFound)?;
        let last = match row.last_message_id {
            Some(id) => match message::Entity::find_by_id(id).one(db).await? {
                Some(m) => {
                    let files = attachments::of_messages(db, &[id])
                        .await?
                        .remove(&id)
                        .unwrap_or_default();
                    Some(view::message(m, files))
                }
                None => None,
            },
            None => None,
        };
        let members = self.members(db, room_id).await?;
        Ok(room_view(row, last, Some(members)))
    }

    async fn members(
        &self,
        db: &impl ConnectionTrait,
        room_id: RoomId,
    ) -> Result<Vec<RoomMemberView>> {
        Ok(member::Entity::find()
            .filter(member::Column::RoomId.eq(room_id))
            .order_by_asc(member::Column::JoinedAt)
            .order_by_asc(member::Column::UserId)
            .all(db)
            .await?
            .into_iter()
            .map(view::member)
            .collect())
    }

    /// Adds a member to a group (room admins only; an organization's room
    /// takes only its members).
    pub async fn add_member(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        room_id: RoomId,
        cmd: AddMember,
    ) -> Result<RoomMemberView> {
        let (room, me) = access::room_of_member(db, room_id, caller).await?;
        require_group_admin(&room, &me)?;
        if let Some(org) = room.org_id
            && self
                .deps
                .memberships
                .role_of(cmd.user_id, org)
                .await?
                .is_none()
        {
            return Err(Error::NotOrgMember);
        }
        let now = self.deps.clock.now();
        let role = cmd.role.unwrap_or(MemberRole::Member);
        let txn = db.begin_write().await?;
        insert_member(&txn, room_id, cmd.user_id, role, now).await?;
        txn.commit().await?;
        let joined = RoomMemberView {
            user_id: cmd.user_id,
            role,
            joined_at: now.into(),
        };
        let to = access::member_ids(db, room_id).await?;
        let event = ServerEvent::MemberJoined(MemberEvent {
            room_id,
            user_id: cmd.user_id,
            role: Some(role),
        });
        access::publish(self.deps.realtime.as_ref(), to, &event).await;
        Ok(joined)
    }

    /// Removes a member: an admin removes anyone, anyone removes themself
    /// (leaving). The last admin of a group with other members must hand
    /// over first; a group whose last member leaves is deleted.
    pub async fn remove_member(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        room_id: RoomId,
        user: UserId,
    ) -> Result<()> {
        let txn = db.begin_write().await?;
        lock_room(&txn, room_id).await?;
        let (room, me) = access::room_of_member(&txn, room_id, caller).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::DirectRoom);
        }
        if user != caller && me.role != MemberRole::Admin {
            return Err(Error::AdminRequired);
        }
        let target = member::Entity::find_by_id((room_id, user))
            .one(&txn)
            .await?
            .ok_or(Error::MemberNotFound)?;
        let members = member::Entity::find()
            .filter(member::Column::RoomId.eq(room_id))
            .count(&txn)
            .await?;
        if target.role == MemberRole::Admin && members > 1 && admins(&txn, room_id).await? == 1 {
            return Err(Error::LastAdmin);
        }
        target.delete(&txn).await?;
        if members == 1 {
            room.delete(&txn).await?;
        }
        txn.commit().await?;
        let mut to = access::member_ids(db, room_id).await?;
        to.push(user);
        let event = ServerEvent::MemberLeft(MemberEvent {
            room_id,
            user_id: user,
            role: None,
        });
        access::publish(self.deps.realtime.as_ref(), to, &event).await;
        Ok(())
    }

    /// Changes a member's role (room admins only); the last admin cannot
    /// step down.
    pub async fn change_role(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        caller: UserId,
        room_id: RoomId,
        user: UserId,
        cmd: ChangeRole,
    ) -> Result<RoomMemberView> {
        let txn = db.begin_write().await?;
        lock_room(&txn, room_id).await?;
        let (room, me) = access::room_of_member(&txn, room_id, caller).await?;
        require_group_admin(&room, &me)?;
        let target = member::Entity::find_by_id((room_id, user))
            .one(&txn)
            .await?
            .ok_or(Error::MemberNotFound)?;
        if target.role == MemberRole::Admin
            && cmd.role != MemberRole::Admin
            && admins(&txn, room_id).await? == 1
        {
            return Err(Error::LastAdmin);
        }
        let mut changed: member::ActiveModel = target.into();
        changed.role = Set(cmd.role);
        let changed = sea_orm::ActiveModelTrait::update(changed, &txn).await?;
        txn.commit().await?;
        Ok(view::member(changed))
    }

    /// The members of a room the caller is in: whom a typing indicator goes to.
    pub async fn audience(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        room_id: RoomId,
    ) -> Result<Vec<UserId>> {
        access::membership(db, room_id, caller).await?;
        access::member_ids(db, room_id).await
    }
}

/// The unique key of two people's direct room, whichever asks.
fn direct_key(a: UserId, b: UserId) -> String {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    format!("{}:{}", low.0, high.0)
}

fn room_view(
    r: RoomRow,
    last: Option<crate::model::MessageView>,
    members: Option<Vec<RoomMemberView>>,
) -> RoomView {
    RoomView {
        id: r.id,
        kind: r.kind,
        name: r.name,
        org_id: r.org_id,
        my_role: r.my_role,
        unread_count: u64::try_from(r.unread_count).unwrap_or(0),
        last_message: last,
        members,
        last_activity_at: r.last_activity_at.into(),
        created_at: r.created_at.into(),
    }
}

fn require_group_admin(room: &room::Model, me: &member::Model) -> Result<()> {
    if room.kind == RoomKind::Direct {
        return Err(Error::DirectRoom);
    }
    if me.role != MemberRole::Admin {
        return Err(Error::AdminRequired);
    }
    Ok(())
}

async fn admins(db: &impl ConnectionTrait, room_id: RoomId) -> Result<u64> {
    Ok(member::Entity::find()
        .filter(member::Column::RoomId.eq(room_id))
        .filter(member::Column::Role.eq(MemberRole::Admin))
        .count(db)
        .await?)
}

/// Serializes membership changes of one room (a no-op write takes the row's
/// lock on PostgreSQL and the write lock on SQLite), so two admins leaving
/// at once cannot leave a group without one.
pub(crate) async fn lock_room(db: &impl ConnectionTrait, room_id: RoomId) -> Result<()> {
    room::Entity::update_many()
        .col_expr(
            room::Column::LastActivityAt,
            Expr::col(room::Column::LastActivityAt),
        )
        .filter(room::Column::Id.eq(room_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn insert_member(
    db: &impl ConnectionTrait,
    room_id: RoomId,
    user: UserId,
    role: MemberRole,
    now: DateTime<Utc>,
) -> Result<()> {
    let inserted = member::Entity::insert(member::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user),
        role: Set(role),
        read_at: Set(None),
        read_message_id: Set(None),
        joined_at: Set(now),
    })
    .exec(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(Error::AlreadyMember)
        }
        Err(err) => Err(Error::user_reference(err)),
    }
}
