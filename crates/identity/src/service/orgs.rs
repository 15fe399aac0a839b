//! Organizations and their members.
//!
//! Every operation first checks the caller's membership; a non-member is told
//! the organization does not exist. Role changes keep at least one owner, and
//! only owners appoint or remove owners.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use trellis_kernel::{
    Page, PageRequest, Principal,
    contact::Email,
    id::{OrgId, UserId},
    ports::{Limit, Memberships, OrgAccess, OrgRole, Profile, check_org_role},
};
use validator::Validate;

use super::IdentityDeps;
use crate::{
    entities::{membership, organization, user},
    error::{Error, Result},
    model::{
        AddMemberCommand, ChangeRoleCommand, CreateOrgCommand, MemberView, OrgView,
        UpdateOrgCommand,
    },
};

/// Looks memberships up for other domains (the kernel's `Memberships` port).
#[derive(Debug, Clone)]
pub struct MembershipDirectory {
    db: DatabaseConnection,
}

impl MembershipDirectory {
    /// A directory over `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl Memberships for MembershipDirectory {
    async fn role_of(&self, user: UserId, org: OrgId) -> Result<Option<OrgRole>, DbErr> {
        role_of(&self.db, user, org).await
    }

    async fn member_by_email(&self, org: OrgId, email: &Email) -> Result<Option<UserId>, DbErr> {
        membership::Entity::find()
            .select_only()
            .column(membership::Column::UserId)
            .inner_join(user::Entity)
            .filter(membership::Column::OrgId.eq(org))
            .filter(user::Column::Email.eq(email.as_str()))
            .into_tuple()
            .one(&self.db)
            .await
    }

    async fn profiles(&self, users: &[UserId]) -> Result<Vec<Profile>, DbErr> {
        let mut found = Vec::with_capacity(users.len());
        // Bounded `IN` lists, whatever the caller hands in.
        for chunk in users.chunks(500) {
            let rows: Vec<(UserId, Option<String>, Option<String>)> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .column(user::Column::Name)
                .column(user::Column::Email)
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            found.extend(rows.into_iter().map(|(user_id, name, email)| Profile {
                user_id,
                name,
                email: email.as_deref().and_then(|e| Email::parse(e).ok()),
            }));
        }
        Ok(found)
    }
}

async fn role_of(
    db: &impl ConnectionTrait,
    user: UserId,
    org: OrgId,
) -> Result<Option<OrgRole>, DbErr> {
    Ok(membership::Entity::find_by_id((org, user))
        .one(db)
        .await?
        .map(|m| m.role))
}

fn member_view(m: membership::Model, u: Option<user::Model>) -> MemberView {
    MemberView {
        user_id: m.user_id,
        email: u.as_ref().and_then(|u| u.email.clone()),
        name: u.and_then(|u| u.name),
        role: m.role,
        created_at: m.created_at.into(),
    }
}

/// Organizations.
#[derive(Debug, Clone)]
pub struct OrgService {
    deps: Arc<IdentityDeps>,
}

impl OrgService {
    pub(crate) fn new(deps: Arc<IdentityDeps>) -> Self {
        Self { deps }
    }

    async fn require(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        org: OrgId,
        min: OrgRole,
    ) -> Result<OrgRole> {
        Ok(check_org_role(
            role_of(db, caller.user_id, org).await?,
            min,
        )?)
    }

    async fn load(db: &impl ConnectionTrait, org: OrgId) -> Result<organization::Model> {
        organization::Entity::find_by_id(org)
            .one(db)
            .await?
            .ok_or(Error::Access(trellis_kernel::ports::AccessError::NotFound))
    }

    /// Creates an organization owned by the caller.
    pub async fn create<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        caller: &Principal,
        cmd: CreateOrgCommand,
    ) -> Result<OrgView> {
        cmd.validate()?;
        if caller.anonymous {
            return Err(Error::AnonymousNotAllowed);
        }
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let org = organization::ActiveModel {
            id: Set(OrgId::new()),
            name: Set(cmd.name.trim().to_string()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        membership::ActiveModel {
            org_id: Set(org.id),
            user_id: Set(caller.user_id),
            role: Set(OrgRole::Owner),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(OrgView {
            id: org.id,
            name: org.name,
            role: OrgRole::Owner,
            created_at: org.created_at.into(),
        })
    }

    /// The caller's organizations, in creation order.
    pub async fn list_mine(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        page: &PageRequest,
    ) -> Result<Page<OrgView>> {
        let after: Option<OrgId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut query =
            membership::Entity::find().filter(membership::Column::UserId.eq(caller.user_id));
        if let Some(after) = after {
            query = query.filter(membership::Column::OrgId.gt(after));
        }
        let rows = query
            .order_by_asc(membership::Column::OrgId)
            .limit(page.fetch_limit())
            .find_also_related(organization::Entity)
            .all(db)
            .await?;
        Ok(Page::from_rows(
            rows.into_iter()
                .filter_map(|(m, o)| o.map(|o| (m, o)))
                .collect(),
            page,
            |(m, _)| m.org_id,
            |(m, o)| OrgView {
                id: o.id,
                name: o.name,
                role: m.role,
                created_at: o.created_at.into(),
            },
        ))
    }

    /// One organization, for a member.
    pub async fn get(&self, db: &impl ConnectionTrait, access: &OrgAccess) -> Result<OrgView> {
        let role = access.role();
        let org = Self::load(db, access.org_id()).await?;
        Ok(OrgView {
            id: org.id,
            name: org.name,
            role,
            created_at: org.created_at.into(),
        })
    }

    /// Renames (admins).
    pub async fn rename(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        cmd: UpdateOrgCommand,
    ) -> Result<OrgView> {
        cmd.validate()?;
        let role = access.role();
        let mut active: organization::ActiveModel = Self::load(db, access.org_id()).await?.into();
        active.name = Set(cmd.name.trim().to_string());
        active.updated_at = Set(self.deps.clock.now());
        let org = active.update(db).await?;
        Ok(OrgView {
            id: org.id,
            name: org.name,
            role,
            created_at: org.created_at.into(),
        })
    }

    /// Deletes the organization and its memberships (owners).
    pub async fn delete(&self, db: &impl ConnectionTrait, access: &OrgAccess) -> Result<()> {
        Self::load(db, access.org_id()).await?.delete(db).await?;
        Ok(())
    }

    /// Members, by user id.
    pub async fn members(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        page: &PageRequest,
    ) -> Result<Page<MemberView>> {
        let org = access.org_id();
        let after: Option<UserId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut query = membership::Entity::find().filter(membership::Column::OrgId.eq(org));
        if let Some(after) = after {
            query = query.filter(membership::Column::UserId.gt(after));
        }
        let rows = query
            .order_by_asc(membership::Column::UserId)
            .limit(page.fetch_limit())
            .find_also_related(user::Entity)
            .all(db)
            .await?;
        Ok(Page::from_rows(
            rows,
            page,
            |(m, _)| m.user_id,
            |(m, u)| member_view(m, u),
        ))
    }

    /// Adds an existing account by email (admins; owners to grant `owner`).
    pub async fn add_member(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        cmd: AddMemberCommand,
    ) -> Result<MemberView> {
        cmd.validate()?;
        let org = access.org_id();
        if cmd.role == OrgRole::Owner && !access.at_least(OrgRole::Owner) {
            return Err(Error::OwnerRequired);
        }
        let user = user::Entity::find()
            .filter(user::Column::Email.eq(cmd.email.as_str()))
            .one(db)
            .await?
            .ok_or(Error::UserNotFound)?;
        if role_of(db, user.id, org).await?.is_some() {
            return Err(Error::AlreadyMember);
        }
        let members = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org))
            .count(db);
        self.deps
            .entitlements
            .limit(org, Limit::OrgMembers)
            .await?
            .admits_counted(async { Ok::<_, Error>(members.await?) })
            .await?;
        let member = membership::ActiveModel {
            org_id: Set(org),
            user_id: Set(user.id),
            role: Set(cmd.role),
            created_at: Set(self.deps.clock.now()),
        }
        .insert(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::AlreadyMember,
            _ => Error::Database(e),
        })?;
        Ok(member_view(member, Some(user)))
    }

    /// Changes a member's role (admins; owners for anything touching `owner`).
    pub async fn change_role<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        caller: &Principal,
        org: OrgId,
        member: UserId,
        cmd: ChangeRoleCommand,
    ) -> Result<MemberView> {
        let txn = db.begin_write().await?;
        let caller_role = self.require(&txn, caller, org, OrgRole::Admin).await?;
        let target = membership::Entity::find_by_id((org, member))
            .one(&txn)
            .await?
            .ok_or(Error::MemberNotFound)?;
        if (target.role == OrgRole::Owner || cmd.role == OrgRole::Owner)
            && caller_role != OrgRole::Owner
        {
            return Err(Error::OwnerRequired);
        }
        if target.role == OrgRole::Owner && cmd.role != OrgRole::Owner {
            self.ensure_another_owner(&txn, org, member).await?;
        }
        let mut active: membership::ActiveModel = target.into();
        active.role = Set(cmd.role);
        let updated = active.update(&txn).await?;
        let user = user::Entity::find_by_id(member).one(&txn).await?;
        txn.commit().await?;
        Ok(member_view(updated, user))
    }

    /// Removes a member (admins, or members leaving); the last owner stays.
    pub async fn remove_member<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        caller: &Principal,
        org: OrgId,
        member: UserId,
    ) -> Result<()> {
        let txn = db.begin_write().await?;
        let min = if member == caller.user_id {
            OrgRole::Member
        } else {
            OrgRole::Admin
        };
        let caller_role = self.require(&txn, caller, org, min).await?;
        let target = membership::Entity::find_by_id((org, member))
            .one(&txn)
            .await?
            .ok_or(Error::MemberNotFound)?;
        if target.role == OrgRole::Owner {
            if member != caller.user_id && caller_role != OrgRole::Owner {
                return Err(Error::OwnerRequired);
            }
            self.ensure_another_owner(&txn, org, member).await?;
        }
        target.delete(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Fails unless an owner other than `leaving` remains. On PostgreSQL the
    /// owner rows are locked, so two owners demoting each other at once
    /// cannot both succeed; SQLite serializes writers anyway.
    async fn ensure_another_owner(
        &self,
        txn: &impl ConnectionTrait,
        org: OrgId,
        leaving: UserId,
    ) -> Result<()> {
        let mut owners = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org))
            .filter(membership::Column::Role.eq(OrgRole::Owner));
        if txn.get_database_backend() == DbBackend::Postgres {
            owners = owners.lock_exclusive();
        }
        let others = owners
            .filter(membership::Column::UserId.ne(leaving))
            .count(txn)
            .await?;
        if others == 0 {
            return Err(Error::LastOwner);
        }
        Ok(())
    }
}
