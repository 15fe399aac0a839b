//! Sessions and refresh-token families.
//!
//! A session is one signed-in device. Its refresh tokens form a family: each
//! refresh marks the presented token rotated and issues a successor. Seeing a
//! rotated token again means it was copied, so the whole family is revoked,
//! unless it comes within the grace window, which absorbs a client that sent
//! two refreshes at once (it gets a sibling token, not an error).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use trellis_kernel::{
    Principal, Role,
    id::{SessionId, UserId},
};
use uuid::Uuid;

use super::IdentityDeps;
use crate::{
    entities::{refresh_token, session, user},
    error::{Error, Result},
    model::{AccessToken, AuthTokens, ClientInfo, SessionView},
    secret,
    view::{roles_of, summary},
};

/// Why a session ended (stored with it).
#[derive(Debug, Clone, Copy)]
pub enum RevokeReason {
    /// The user signed out.
    Logout,
    /// The user ended it from the sessions list.
    Revoked,
    /// A rotated refresh token came back.
    TokenReuse,
    /// The password changed.
    PasswordChanged,
    /// Staff deactivated the account.
    Deactivated,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::TokenReuse => "token_reuse",
            Self::PasswordChanged => "password_changed",
            Self::Deactivated => "deactivated",
        }
    }
}

/// Sessions and tokens.
#[derive(Debug, Clone)]
pub struct SessionService {
    deps: Arc<IdentityDeps>,
}

impl SessionService {
    pub(crate) fn new(deps: Arc<IdentityDeps>) -> Self {
        Self { deps }
    }

    /// Opens a session for `user` and returns its first tokens.
    pub(crate) async fn start(
        &self,
        db: &impl ConnectionTrait,
        user: &user::Model,
        client: &ClientInfo,
    ) -> Result<AuthTokens> {
        let now = self.deps.clock.now();
        let expires_at = now + IdentityDeps::chrono(self.deps.config.refresh_ttl);
        let session = session::ActiveModel {
            id: Set(SessionId::new()),
            user_id: Set(user.id),
            created_at: Set(now),
            last_used_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            user_agent: Set(client.user_agent.clone()),
            ip: Set(client.ip.clone()),
        }
        .insert(db)
        .await?;
        let refresh = self
            .new_refresh_token(db, session.id, now, expires_at)
            .await?;
        self.tokens(user, session.id, refresh)
    }

    /// Issues new tokens for an existing session (after an anonymous upgrade).
    pub(crate) async fn reissue(
        &self,
        db: &impl ConnectionTrait,
        user: &user::Model,
        session_id: SessionId,
    ) -> Result<AuthTokens> {
        let now = self.deps.clock.now();
        let expires_at = now + IdentityDeps::chrono(self.deps.config.refresh_ttl);
        let refresh = self
            .new_refresh_token(db, session_id, now, expires_at)
            .await?;
        self.tokens(user, session_id, refresh)
    }

    fn tokens(
        &self,
        user: &user::Model,
        session_id: SessionId,
        refresh_token: String,
    ) -> Result<AuthTokens> {
        let access = self
            .deps
            .tokens
            .issue(user.id, session_id, &roles_of(user), user.is_anonymous)
            .map_err(|_| Error::internal("signing an access token failed"))?;
        Ok(AuthTokens {
            access_token: access.token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: access.expires_in,
            user: summary(user),
        })
    }

    /// The control-center shape: the refresh token goes to a cookie instead.
    pub fn split_for_cookie(tokens: AuthTokens) -> (AccessToken, String) {
        (
            AccessToken {
                access_token: tokens.access_token,
                token_type: tokens.token_type,
                expires_in: tokens.expires_in,
                user: tokens.user,
            },
            tokens.refresh_token,
        )
    }

    async fn new_refresh_token(
        &self,
        db: &impl ConnectionTrait,
        session_id: SessionId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<String> {
        let token = secret::new_token();
        refresh_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(session_id),
            token_hash: Set(secret::hash(&token)),
            created_at: Set(now),
            expires_at: Set(expires_at),
            rotated_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(token)
    }

    /// Exchanges a refresh token for new tokens (see the module docs).
    /// `required_role` lets the control center refuse non-staff sessions.
    pub async fn refresh(
        &self,
        db: &impl ConnectionTrait,
        presented: &str,
        required_role: Option<Role>,
    ) -> Result<AuthTokens> {
        if presented.is_empty() || presented.len() > 256 {
            return Err(Error::field(
                "refresh_token",
                "must be a refresh token from a token response",
            ));
        }
        let now = self.deps.clock.now();
        let token = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(secret::hash(presented)))
            .one(db)
            .await?
            .ok_or(Error::InvalidRefreshToken)?;
        let session = session::Entity::find_by_id(token.session_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidRefreshToken)?;
        if session.revoked_at.is_some() || session.expires_at <= now || token.expires_at <= now {
            return Err(Error::InvalidRefreshToken);
        }
        let user = user::Entity::find_by_id(session.user_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidRefreshToken)?;
        if user.deactivated_at.is_some() {
            return Err(Error::Deactivated);
        }
        if let Some(role) = required_role
            && !roles_of(&user)
                .iter()
                .any(|r| *r == role || *r == Role::Admin)
        {
            return Err(Error::InvalidRefreshToken);
        }

        // Atomic on both databases: only one caller can move rotated_at from NULL.
        let rotated = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(token.id))
            .filter(refresh_token::Column::RotatedAt.is_null())
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !rotated {
            let rotated_at = refresh_token::Entity::find_by_id(token.id)
                .one(db)
                .await?
                .and_then(|t| t.rotated_at)
                .unwrap_or(now);
            if now - rotated_at > IdentityDeps::chrono(self.deps.config.reuse_grace) {
                self.revoke_session(db, session.id, RevokeReason::TokenReuse)
                    .await?;
                tracing::warn!(session = %session.id, user = %user.id, "refresh token reuse: session revoked");
                return Err(Error::RefreshTokenReused);
            }
        }

        let expires_at = now + IdentityDeps::chrono(self.deps.config.refresh_ttl);
        let fresh = self
            .new_refresh_token(db, session.id, now, expires_at)
            .await?;
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
            .filter(session::Column::Id.eq(session.id))
            .exec(db)
            .await?;
        self.tokens(&user, session.id, fresh)
    }

    /// Ends the caller's current session.
    pub async fn logout(&self, db: &impl ConnectionTrait, caller: &Principal) -> Result<()> {
        self.revoke_session(db, caller.session_id, RevokeReason::Logout)
            .await
    }

    /// The caller's live sessions, newest first.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
    ) -> Result<Vec<SessionView>> {
        let now = self.deps.clock.now();
        let rows = session::Entity::find()
            .filter(session::Column::UserId.eq(caller.user_id))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .order_by_desc(session::Column::CreatedAt)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|s| SessionView {
                current: s.id == caller.session_id,
                id: s.id,
                created_at: s.created_at.into(),
                last_used_at: s.last_used_at.into(),
                expires_at: s.expires_at.into(),
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect())
    }

    /// Ends one of the caller's sessions; someone else's is "not found".
    pub async fn revoke_own(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        id: SessionId,
    ) -> Result<()> {
        let ended = session::Entity::update_many()
            .col_expr(
                session::Column::RevokedAt,
                Expr::value(self.deps.clock.now()),
            )
            .col_expr(
                session::Column::RevokedReason,
                Expr::value(RevokeReason::Revoked.as_str()),
            )
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::UserId.eq(caller.user_id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(db)
            .await?
            .rows_affected;
        if ended == 0 {
            return Err(Error::SessionNotFound);
        }
        Ok(())
    }

    /// Ends one session.
    pub async fn revoke_session(
        &self,
        db: &impl ConnectionTrait,
        id: SessionId,
        reason: RevokeReason,
    ) -> Result<()> {
        session::Entity::update_many()
            .col_expr(
                session::Column::RevokedAt,
                Expr::value(self.deps.clock.now()),
            )
            .col_expr(session::Column::RevokedReason, Expr::value(reason.as_str()))
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        Ok(())
    }

    /// Ends every session of a user, but `keep` if given.
    pub async fn revoke_all(
        &self,
        db: &impl ConnectionTrait,
        user: UserId,
        keep: Option<SessionId>,
        reason: RevokeReason,
    ) -> Result<()> {
        let mut update = session::Entity::update_many()
            .col_expr(
                session::Column::RevokedAt,
                Expr::value(self.deps.clock.now()),
            )
            .col_expr(session::Column::RevokedReason, Expr::value(reason.as_str()))
            .filter(session::Column::UserId.eq(user))
            .filter(session::Column::RevokedAt.is_null());
        if let Some(keep) = keep {
            update = update.filter(session::Column::Id.ne(keep));
        }
        update.exec(db).await?;
        Ok(())
    }

    /// Sessions ended at or after `since`: feeds the gateway's revocation
    /// list, so access tokens of ended sessions stop working at once.
    pub async fn revoked_since(
        &self,
        db: &impl ConnectionTrait,
        since: DateTime<Utc>,
    ) -> Result<Vec<SessionId>> {
        let rows = session::Entity::find()
            .filter(session::Column::RevokedAt.gte(since))
            .all(db)
            .await?;
        Ok(rows.into_iter().map(|s| s.id).collect())
    }
}
