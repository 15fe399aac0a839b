//! Phone sign-in codes: six digits, hashed, short-lived, rate-limited per
//! phone (cooldown and hourly cap) and dead after too many wrong guesses.

use std::{sync::Arc, time::Duration};
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use trellis_kernel::{
    id::UserId,
    notify::{self, Notice, OtpParams, Recipient},
};
use uuid::Uuid;
use validator::Validate;

use super::{IdentityDeps, SessionService, accounts::unique_violation};
use crate::{
    entities::{otp_code, user},
    error::{Error, Result},
    model::{AuthTokens, ClientInfo, OtpRequestCommand, OtpSent, OtpVerifyCommand},
    secret,
};

fn seconds(d: chrono::Duration) -> Duration {
    d.to_std().unwrap_or_default()
}

/// Phone codes.
#[derive(Debug, Clone)]
pub struct OtpService {
    deps: Arc<IdentityDeps>,
    sessions: SessionService,
}

impl OtpService {
    pub(crate) fn new(deps: Arc<IdentityDeps>, sessions: SessionService) -> Self {
        Self { deps, sessions }
    }

    /// Sends a code to `phone`, unless one went out within the cooldown or
    /// the hourly cap is reached.
    #[tracing::instrument(skip_all)]
    pub async fn request(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        cmd: OtpRequestCommand,
    ) -> Result<OtpSent> {
        cmd.validate()?;
        let phone = cmd.phone;
        let config = &self.deps.config;
        if !config.sms_enabled {
            return Err(Error::SmsUnavailable);
        }
        let now = self.deps.clock.now();
        let hour_ago = now - chrono::Duration::hours(1);

        let recent = otp_code::Entity::find()
            .filter(otp_code::Column::Phone.eq(phone.as_str()))
            .filter(otp_code::Column::CreatedAt.gt(hour_ago))
            .order_by_desc(otp_code::Column::CreatedAt);
        if let Some(last) = recent.clone().one(db).await? {
            let next_allowed = last.created_at + IdentityDeps::chrono(config.otp_cooldown);
            if next_allowed > now {
                return Err(Error::OtpCooldown(seconds(next_allowed - now)));
            }
        }
        let sent_this_hour = recent.clone().count(db).await?;
        if sent_this_hour >= u64::from(config.otp_hourly_cap) {
            let oldest = otp_code::Entity::find()
                .filter(otp_code::Column::Phone.eq(phone.as_str()))
                .filter(otp_code::Column::CreatedAt.gt(hour_ago))
                .order_by_asc(otp_code::Column::CreatedAt)
                .one(db)
                .await?
                .map(|c| c.created_at)
                .unwrap_or(now);
            return Err(Error::OtpHourlyCap(seconds(
                oldest + chrono::Duration::hours(1) - now,
            )));
        }

        let code = secret::new_code();
        // The code and the text that carries it commit together: no code
        // nobody was sent, no text about a code that was never stored.
        let txn = db.begin_write().await?;
        otp_code::ActiveModel {
            id: Set(Uuid::now_v7()),
            phone: Set(phone.as_str().into()),
            code_hash: Set(secret::code_hash(phone.as_str(), &code)),
            created_at: Set(now),
            expires_at: Set(now + IdentityDeps::chrono(config.otp_ttl)),
            attempts: Set(0),
            consumed_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let recipient = Recipient {
            phone: Some(phone.clone()),
            ..Recipient::default()
        };
        let notice = Notice::OtpCode(OtpParams {
            code,
            valid_minutes: u32::try_from(config.otp_ttl.as_secs() / 60).unwrap_or(u32::MAX),
        });
        notify::request(&txn, &self.deps.clock, phone.masked(), recipient, notice).await?;
        txn.commit().await?;
        Ok(OtpSent {
            expires_in: config.otp_ttl.as_secs() as i64,
            resend_after: config.otp_cooldown.as_secs() as i64,
        })
    }

    /// Checks a code and signs in the phone's user, creating it on first use.
    #[tracing::instrument(skip_all)]
    pub async fn verify<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        cmd: OtpVerifyCommand,
        client: &ClientInfo,
    ) -> Result<AuthTokens> {
        cmd.validate()?;
        let phone = cmd.phone;
        let now = self.deps.clock.now();
        let max_attempts = self.deps.config.otp_max_attempts as i32;
        let live = otp_code::Entity::find()
            .filter(otp_code::Column::Phone.eq(phone.as_str()))
            .filter(otp_code::Column::ConsumedAt.is_null())
            .filter(otp_code::Column::ExpiresAt.gt(now))
            .filter(otp_code::Column::Attempts.lt(max_attempts))
            .order_by_desc(otp_code::Column::CreatedAt)
            .one(db)
            .await?
            .ok_or(Error::OtpExpired)?;

        if !secret::same(
            &live.code_hash,
            &secret::code_hash(phone.as_str(), &cmd.code),
        ) {
            // Counted atomically, so parallel guesses cannot exceed the limit.
            otp_code::Entity::update_many()
                .col_expr(
                    otp_code::Column::Attempts,
                    Expr::col(otp_code::Column::Attempts).add(1),
                )
                .filter(otp_code::Column::Id.eq(live.id))
                .exec(db)
                .await?;
            return Err(if live.attempts + 1 >= max_attempts {
                Error::OtpExpired
            } else {
                Error::OtpInvalid
            });
        }
        let spent = otp_code::Entity::update_many()
            .col_expr(otp_code::Column::ConsumedAt, Expr::value(now))
            .filter(otp_code::Column::Id.eq(live.id))
            .filter(otp_code::Column::ConsumedAt.is_null())
            .filter(otp_code::Column::Attempts.lt(max_attempts))
            .exec(db)
            .await?
            .rows_affected;
        if spent != 1 {
            return Err(Error::OtpExpired);
        }

        let txn = db.begin_write().await?;
        let existing = user::Entity::find()
            .filter(user::Column::VerifiedPhone.eq(phone.as_str()))
            .one(&txn)
            .await?;
        let user = match existing {
            Some(user) if user.deactivated_at.is_some() => return Err(Error::Deactivated),
            Some(user) => user,
            None => user::ActiveModel {
                id: Set(UserId::new()),
                email: Set(None),
                email_verified_at: Set(None),
                password_hash: Set(None),
                name: Set(None),
                phone: Set(Some(phone.as_str().into())),
                verified_phone: Set(Some(phone.as_str().into())),
                locale: Set(None),
                time_zone: Set(None),
                roles: Set(serde_json::json!([])),
                is_anonymous: Set(false),
                deactivated_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await
            .map_err(unique_violation)?,
        };
        let tokens = self.sessions.start(&txn, &user, client).await?;
        txn.commit().await?;
        Ok(tokens)
    }
}
