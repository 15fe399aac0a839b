//! Who the people behind accounts are, for the domains that tell them
//! things (the kernel's `People` port).

use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use trellis_kernel::{
    auth::Role,
    contact::{Email, Phone},
    id::{OrgId, UserId},
    notify::Recipient,
    ports::{OrgRole, People},
};

use crate::entities::{membership, user};

/// Reads accounts as recipients.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeopleDirectory;

/// An account as a recipient of notifications.
pub(crate) fn recipient(u: user::Model) -> Recipient {
    let email = u.email.as_deref().and_then(|e| Email::parse(e).ok());
    let phone = u
        .verified_phone
        .as_deref()
        .or(u.phone.as_deref())
        .and_then(|p| Phone::parse(p).ok());
    let name = u
        .name
        .clone()
        .or_else(|| email.as_ref().map(|e| e.as_str().to_string()))
        .unwrap_or_default();
    Recipient {
        user_id: Some(u.id),
        name,
        email,
        phone,
        locale: u.locale,
        time_zone: u.time_zone,
    }
}

fn active() -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(user::Column::DeactivatedAt.is_null())
        .add(user::Column::IsAnonymous.eq(false))
}

#[async_trait::async_trait]
impl People for PeopleDirectory {
    async fn recipients(
        &self,
        db: &DatabaseTransaction,
        users: &[UserId],
    ) -> Result<Vec<Recipient>, DbErr> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(users.iter().copied()))
            .filter(active())
            .all(db)
            .await?;
        Ok(rows.into_iter().map(recipient).collect())
    }

    async fn staff(&self, db: &DatabaseTransaction) -> Result<Vec<Recipient>, DbErr> {
        let rows = user::Entity::find().filter(active()).all(db).await?;
        // Roles are a JSON list; few accounts are staff and this runs once
        // a day, so the filter is done here rather than in backend-specific SQL.
        Ok(rows
            .into_iter()
            .filter(|u| {
                u.roles.as_array().is_some_and(|roles| {
                    roles.iter().any(|r| {
                        // Admins hold every staff right.
                        r.as_str()
                            .and_then(Role::parse)
                            .is_some_and(|r| matches!(r, Role::Staff | Role::Admin))
                    })
                })
            })
            .map(recipient)
            .collect())
    }

    async fn org_owners(
        &self,
        db: &DatabaseTransaction,
        org: OrgId,
    ) -> Result<Vec<Recipient>, DbErr> {
        let owners: Vec<UserId> = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org))
            .filter(membership::Column::Role.eq(OrgRole::Owner))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        self.recipients(db, &owners).await
    }
}
