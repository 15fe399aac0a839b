//! Grants: which members may reveal a credential.

use std::sync::Arc;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use trellis_kernel::{id::UserId, ports::OrgAccess};

use super::{VaultDeps, credentials::credential_row, require_admin};
use crate::{
    entities::credential_grant,
    error::{Error, Result},
    ids::CredentialId,
    model::GrantView,
    view,
};

/// Members' grants on credentials (admins manage them).
#[derive(Debug, Clone)]
pub struct GrantService {
    deps: Arc<VaultDeps>,
}

impl GrantService {
    pub(crate) fn new(deps: Arc<VaultDeps>) -> Self {
        Self { deps }
    }

    /// Lets a member of the organization reveal the credential (admins).
    /// Granting twice keeps the first grant.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), credential = %id.0, member = %user))]
    pub async fn grant(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
        user: UserId,
    ) -> Result<GrantView> {
        require_admin(access)?;
        credential_row(db, access, id).await?;
        if self
            .deps
            .memberships
            .role_of(user, access.org_id())
            .await?
            .is_none()
        {
            return Err(Error::field("user_id", "not a member of this organization"));
        }
        credential_grant::Entity::insert(credential_grant::ActiveModel {
            credential_id: Set(id),
            user_id: Set(user),
            org_id: Set(access.org_id()),
            granted_by: Set(access.user_id()),
            granted_at: Set(self.deps.clock.now()),
        })
        .on_conflict(
            OnConflict::columns([
                credential_grant::Column::CredentialId,
                credential_grant::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let row = credential_grant::Entity::find_by_id((id, user))
            .one(db)
            .await?
            .ok_or(Error::GrantNotFound)?;
        Ok(view::grant(row))
    }

    /// Withdraws a member's grant (admins).
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), credential = %id.0, member = %user))]
    pub async fn revoke(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
        user: UserId,
    ) -> Result<()> {
        require_admin(access)?;
        credential_row(db, access, id).await?;
        let deleted = credential_grant::Entity::delete_many()
            .filter(credential_grant::Column::CredentialId.eq(id))
            .filter(credential_grant::Column::UserId.eq(user))
            .filter(credential_grant::Column::OrgId.eq(access.org_id()))
            .exec(db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::GrantNotFound);
        }
        Ok(())
    }

    /// The credential's grants, oldest first (admins).
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
    ) -> Result<Vec<GrantView>> {
        require_admin(access)?;
        credential_row(db, access, id).await?;
        let rows = credential_grant::Entity::find()
            .filter(credential_grant::Column::CredentialId.eq(id))
            .order_by_asc(credential_grant::Column::GrantedAt)
            .all(db)
            .await?;
        Ok(rows.into_iter().map(view::grant).collect())
    }
}
