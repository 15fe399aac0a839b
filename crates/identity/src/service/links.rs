//! Single-use links sent by email: address verification and password reset.
//! Tokens are 256-bit random, stored only as SHA-256, and spent atomically.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait, sea_query::Expr,
};
use trellis_kernel::{
    contact::Email,
    notify::{self, LinkParams, Notice, WelcomeParams},
};
use uuid::Uuid;
use validator::Validate;

use super::{IdentityDeps, SessionService, people::recipient, sessions::RevokeReason};
use crate::{
    entities::{one_time_token, user},
    error::{Error, Result},
    model::{PasswordResetConfirm, PasswordResetRequest, VerifyEmailCommand},
    password::check_policy,
    secret,
};

/// What a link token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// Verification and reset links.
#[derive(Debug, Clone)]
pub struct LinkService {
    deps: Arc<IdentityDeps>,
    sessions: SessionService,
}

impl LinkService {
    pub(crate) fn new(deps: Arc<IdentityDeps>, sessions: SessionService) -> Self {
        Self { deps, sessions }
    }

    async fn issue(
        &self,
        db: &impl ConnectionTrait,
        user: &user::Model,
        purpose: Purpose,
    ) -> Result<String> {
        let now = self.deps.clock.now();
        let ttl = match purpose {
            Purpose::VerifyEmail => self.deps.config.verify_ttl,
            Purpose::PasswordReset => self.deps.config.reset_ttl,
        };
        let token = secret::new_token();
        one_time_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            purpose: Set(purpose.as_str().into()),
            token_hash: Set(secret::hash(&token)),
            created_at: Set(now),
            expires_at: Set(now + IdentityDeps::chrono(ttl)),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(token)
    }

    /// Spends a token: exactly one caller can, and only before it expires.
    async fn spend(
        &self,
        db: &impl ConnectionTrait,
        token: &str,
        purpose: Purpose,
    ) -> Result<user::Model> {
        let now = self.deps.clock.now();
        let row = one_time_token::Entity::find()
            .filter(one_time_token::Column::TokenHash.eq(secret::hash(token)))
            .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
            .one(db)
            .await?
            .ok_or(Error::InvalidLink)?;
        let spent = one_time_token::Entity::update_many()
            .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
            .filter(one_time_token::Column::Id.eq(row.id))
            .filter(one_time_token::Column::UsedAt.is_null())
            .filter(one_time_token::Column::ExpiresAt.gt(now))
            .exec(db)
            .await?
            .rows_affected;
        if spent != 1 {
            return Err(Error::InvalidLink);
        }
        let user = user::Entity::find_by_id(row.user_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidLink)?;
        if user.deactivated_at.is_some() {
            return Err(Error::InvalidLink);
        }
        Ok(user)
    }

    fn link(&self, path: &str, token: &str) -> String {
        format!(
            "{}/{path}?token={token}",
            self.deps.config.app_url.trim_end_matches('/')
        )
    }

    /// Creates a verification token for `user` and queues its email on `db`
    /// (the caller's transaction); nothing when the user has no address.
    pub(crate) async fn queue_verification_email(
        &self,
        db: &impl ConnectionTrait,
        user: &user::Model,
    ) -> Result<()> {
        if user.email.is_none() {
            return Ok(());
        }
        let token = self.issue(db, user, Purpose::VerifyEmail).await?;
        let notice = Notice::EmailVerification(LinkParams {
            link: self.link("verify-email", &token),
            expires_at: self.deps.clock.now() + IdentityDeps::chrono(self.deps.config.verify_ttl),
        });
        notify::request(
            db,
            &self.deps.clock,
            user.id,
            recipient(user.clone()),
            notice,
        )
        .await?;
        Ok(())
    }

    /// Marks the address of the token's user as proven; the first time,
    /// welcomes them (in the same transaction).
    pub async fn verify_email(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        cmd: VerifyEmailCommand,
    ) -> Result<()> {
        cmd.validate().map_err(|_| Error::InvalidLink)?;
        let txn = db.begin_write().await?;
        let user = self.spend(&txn, &cmd.token, Purpose::VerifyEmail).await?;
        let first_time = user::Entity::update_many()
            .col_expr(
                user::Column::EmailVerifiedAt,
                Expr::value(self.deps.clock.now()),
            )
            .filter(user::Column::Id.eq(user.id))
            .filter(user::Column::EmailVerifiedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if first_time {
            let notice = Notice::Welcome(WelcomeParams {
                sign_in_link: self.link("sign-in", ""),
            });
            notify::request(&txn, &self.deps.clock, user.id, recipient(user), notice).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Emails a reset link if the account exists and is active. Always `Ok`:
    /// the answer must not tell whether an email is registered.
    #[tracing::instrument(skip_all)]
    pub async fn request_reset<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        cmd: PasswordResetRequest,
    ) -> Result<()> {
        let Ok(email) = Email::parse(&cmd.email) else {
            return Ok(());
        };
        let user = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .filter(user::Column::DeactivatedAt.is_null())
            .one(db)
            .await?;
        let Some(user) = user else {
            return Ok(());
        };
        let txn = db.begin_write().await?;
        let token = self.issue(&txn, &user, Purpose::PasswordReset).await?;
        let notice = Notice::PasswordReset(LinkParams {
            link: self.link("reset-password", &token),
            expires_at: self.deps.clock.now() + IdentityDeps::chrono(self.deps.config.reset_ttl),
        });
        notify::request(&txn, &self.deps.clock, user.id, recipient(user), notice).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset token and ends every session.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_reset<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        cmd: PasswordResetConfirm,
    ) -> Result<()> {
        cmd.validate()?;
        // Check the password before spending the token, so a weak choice does
        // not burn the link.
        let hash_target = one_time_token::Entity::find()
            .filter(one_time_token::Column::TokenHash.eq(secret::hash(&cmd.token)))
            .one(db)
            .await?
            .ok_or(Error::InvalidLink)?;
        let owner = user::Entity::find_by_id(hash_target.user_id)
            .one(db)
            .await?
            .ok_or(Error::InvalidLink)?;
        check_policy(&cmd.new_password, owner.email.as_deref())
            .map_err(|m| Error::field("new_password", m))?;
        let hash = self.deps.passwords.hash(&cmd.new_password).await?;

        let txn = db.begin_write().await?;
        let user = self.spend(&txn, &cmd.token, Purpose::PasswordReset).await?;
        let now = self.deps.clock.now();
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
        // Following the link proved control of the address.
        user::Entity::update_many()
            .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
            .filter(user::Column::Id.eq(user.id))
            .filter(user::Column::EmailVerifiedAt.is_null())
            .exec(&txn)
            .await?;
        self.sessions
            .revoke_all(&txn, user.id, None, RevokeReason::PasswordChanged)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}
