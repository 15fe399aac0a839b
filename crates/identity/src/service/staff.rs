//! The control center's user management, and staff accounts.

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use trellis_kernel::{Page, PageRequest, Principal, Role, id::UserId, types::Email};

use super::{
    IdentityDeps, SessionService,
    accounts::{check_password, unique_violation},
    sessions::RevokeReason,
};
use crate::{
    entities::user,
    error::{Error, Result},
    model::{StaffUserPatch, StaffUserView},
    view::{roles_json, roles_of, staff_view, unique_roles},
};

/// Staff operations.
#[derive(Debug, Clone)]
pub struct StaffService {
    deps: Arc<IdentityDeps>,
    sessions: SessionService,
}

impl StaffService {
    pub(crate) fn new(deps: Arc<IdentityDeps>, sessions: SessionService) -> Self {
        Self { deps, sessions }
    }

    /// Creates a staff account, or grants staff (and admin) to an existing one
    /// and sets its password. Used by `trellis admin create-staff`.
    pub async fn create_staff(
        &self,
        db: &impl ConnectionTrait,
        email: &str,
        password: &str,
        admin: bool,
    ) -> Result<StaffUserView> {
        // The command line is this input's boundary: parsed here, once.
        let email = Email::parse(email).map_err(|m| Error::field("email", m))?;
        check_password(password, &email, "password")?;
        let hash = self.deps.passwords.hash(password).await?;
        let now = self.deps.clock.now();
        let mut roles = vec![Role::Staff];
        if admin {
            roles.push(Role::Admin);
        }
        let existing = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(db)
            .await?;
        let user = match existing {
            Some(user) => {
                let merged = unique_roles(roles_of(&user).into_iter().chain(roles.iter().copied()));
                let mut active = user.into_active_model();
                active.roles = Set(roles_json(&merged));
                active.password_hash = Set(Some(hash));
                active.deactivated_at = Set(None);
                active.updated_at = Set(now);
                active.update(db).await?
            }
            None => user::ActiveModel {
                id: Set(UserId::new()),
                email: Set(Some(email.into_string())),
                email_verified_at: Set(Some(now)),
                password_hash: Set(Some(hash)),
                name: Set(None),
                phone: Set(None),
                verified_phone: Set(None),
                locale: Set(None),
                time_zone: Set(None),
                roles: Set(roles_json(&roles)),
                is_anonymous: Set(false),
                deactivated_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await
            .map_err(unique_violation)?,
        };
        Ok(staff_view(user))
    }

    /// Users whose email or name contains `query` (case-insensitive), by id.
    pub async fn search(
        &self,
        db: &impl ConnectionTrait,
        query: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<StaffUserView>> {
        let after: Option<UserId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut select = user::Entity::find();
        if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
            select = select.filter(
                Condition::any()
                    .add(user::Column::Email.like(pattern.clone()))
                    .add(Expr::expr(Func::lower(Expr::col(user::Column::Name))).like(pattern)),
            );
        }
        if let Some(after) = after {
            select = select.filter(user::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(user::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |u| u.id, staff_view))
    }

    /// Changes roles (admins only) or deactivates (which ends every session
    /// at once) or reactivates a user.
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        actor: &Principal,
        id: UserId,
        patch: StaffUserPatch,
    ) -> Result<StaffUserView> {
        if patch.roles.is_some() && !actor.has_role(Role::Admin) {
            return Err(Error::AdminRequired);
        }
        let user = user::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::UserNotFound)?;
        let now = self.deps.clock.now();
        let mut active = user.into_active_model();
        if let Some(roles) = &patch.roles {
            active.roles = Set(roles_json(&unique_roles(roles.iter().copied())));
        }
        match patch.deactivated {
            Some(true) => active.deactivated_at = Set(Some(now)),
            Some(false) => active.deactivated_at = Set(None),
            None => {}
        }
        active.updated_at = Set(now);
        let user = active.update(db).await?;
        if patch.deactivated == Some(true) {
            self.sessions
                .revoke_all(db, id, None, RevokeReason::Deactivated)
                .await?;
        }
        Ok(staff_view(user))
    }
}
