//! Accounts: registration, sign-in, anonymous users, profile and password.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, SqlErr, TransactionSession, TransactionTrait,
};
use trellis_kernel::{FieldError, Principal, Role, id::UserId, types::Email};
use validator::Validate;

use super::{IdentityDeps, LinkService, SessionService, sessions::RevokeReason};
use crate::{
    entities::user,
    error::{Error, Result},
    model::{
        AuthTokens, ChangePasswordCommand, ClientInfo, LoginCommand, Profile, RegisterCommand,
        UpdateProfileCommand, UpgradeCommand,
    },
    password::check_policy,
    view::profile,
};

/// Maps a unique-index violation on `users` to the field it concerns.
pub(crate) fn unique_violation(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("phone") => {
            Error::PhoneTaken
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::EmailTaken,
        _ => Error::Database(err),
    }
}

/// Checks a new password against the policy (and the account's email).
pub(crate) fn check_password(password: &str, email: &Email, field: &str) -> Result<()> {
    check_policy(password, Some(email.as_str())).map_err(|m| Error::field(field, m))
}

/// Accounts.
#[derive(Debug, Clone)]
pub struct AccountService {
    deps: Arc<IdentityDeps>,
    sessions: SessionService,
    links: LinkService,
}

impl AccountService {
    pub(crate) fn new(
        deps: Arc<IdentityDeps>,
        sessions: SessionService,
        links: LinkService,
    ) -> Self {
        Self {
            deps,
            sessions,
            links,
        }
    }

    /// Creates an account, signs it in, and emails a verification link.
    #[tracing::instrument(skip_all)]
    pub async fn register<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        cmd: RegisterCommand,
        client: &ClientInfo,
    ) -> Result<AuthTokens> {
        cmd.validate()?;
        let email = cmd.email;
        check_password(&cmd.password, &email, "password")?;
        if user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(db)
            .await?
            .is_some()
        {
            return Err(Error::EmailTaken);
        }
        let hash = self.deps.passwords.hash(&cmd.password).await?;
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let user = user::ActiveModel {
            id: Set(UserId::new()),
            email: Set(Some(email.into_string())),
            email_verified_at: Set(None),
            password_hash: Set(Some(hash)),
            name: Set(cmd.name.map(|n| n.trim().to_string())),
            phone: Set(None),
            verified_phone: Set(None),
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
        .map_err(unique_violation)?;
        let tokens = self.sessions.start(&txn, &user, client).await?;
        self.links.queue_verification_email(&txn, &user).await?;
        txn.commit().await?;
        Ok(tokens)
    }

    /// Checks credentials and opens a session. Unknown emails cost the same
    /// Argon2 work as wrong passwords, and both answer the same error.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        db: &impl ConnectionTrait,
        cmd: LoginCommand,
        client: &ClientInfo,
    ) -> Result<AuthTokens> {
        let user = self.authenticate(db, &cmd).await?;
        self.sessions.start(db, &user, client).await
    }

    /// Signs a staff member in to the control center. Credentials of
    /// someone without a staff role get the same error as wrong ones.
    #[tracing::instrument(skip_all)]
    pub async fn staff_login(
        &self,
        db: &impl ConnectionTrait,
        cmd: &LoginCommand,
        client: &ClientInfo,
    ) -> Result<AuthTokens> {
        let user = self.authenticate(db, cmd).await?;
        let is_staff = crate::view::roles_of(&user)
            .iter()
            .any(|r| matches!(r, Role::Staff | Role::Admin));
        if !is_staff {
            return Err(Error::InvalidCredentials);
        }
        self.sessions.start(db, &user, client).await
    }

    /// Checks email and password and returns the active user.
    pub(crate) async fn authenticate(
        &self,
        db: &impl ConnectionTrait,
        cmd: &LoginCommand,
    ) -> Result<user::Model> {
        cmd.validate().map_err(|_| Error::InvalidCredentials)?;
        let found = match Email::parse(&cmd.email) {
            Ok(email) => {
                user::Entity::find()
                    .filter(user::Column::Email.eq(email.as_str()))
                    .one(db)
                    .await?
            }
            Err(_) => None,
        };
        let Some((user, hash)) = found.and_then(|u| u.password_hash.clone().map(|h| (u, h))) else {
            self.deps.passwords.verify_dummy(&cmd.password).await?;
            return Err(Error::InvalidCredentials);
        };
        if !self.deps.passwords.verify(&cmd.password, &hash).await? {
            return Err(Error::InvalidCredentials);
        }
        if user.deactivated_at.is_some() {
            return Err(Error::Deactivated);
        }
        Ok(user)
    }

    /// Creates an anonymous user and signs it in.
    pub async fn anonymous(
        &self,
        db: &impl ConnectionTrait,
        client: &ClientInfo,
    ) -> Result<AuthTokens> {
        let now = self.deps.clock.now();
        let user = user::ActiveModel {
            id: Set(UserId::new()),
            email: Set(None),
            email_verified_at: Set(None),
            password_hash: Set(None),
            name: Set(None),
            phone: Set(None),
            verified_phone: Set(None),
            locale: Set(None),
            time_zone: Set(None),
            roles: Set(serde_json::json!([])),
            is_anonymous: Set(true),
            deactivated_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        self.sessions.start(db, &user, client).await
    }

    /// Attaches email and password to the caller, an anonymous user, keeping
    /// its id (and so everything it owns). Returns fresh tokens with `anon: false`.
    #[tracing::instrument(skip_all, fields(user = %caller.user_id))]
    pub async fn upgrade<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        caller: &Principal,
        cmd: UpgradeCommand,
    ) -> Result<AuthTokens> {
        cmd.validate()?;
        let email = cmd.email;
        check_password(&cmd.password, &email, "password")?;
        let user = self.load(db, caller.user_id).await?;
        if !user.is_anonymous {
            return Err(Error::NotAnonymous);
        }
        if user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(db)
            .await?
            .is_some()
        {
            return Err(Error::EmailTaken);
        }
        let hash = self.deps.passwords.hash(&cmd.password).await?;
        let txn = db.begin_write().await?;
        let mut active = user.into_active_model();
        active.email = Set(Some(email.into_string()));
        active.password_hash = Set(Some(hash));
        if let Some(name) = cmd.name {
            active.name = Set(Some(name.trim().to_string()));
        }
        active.is_anonymous = Set(false);
        active.updated_at = Set(self.deps.clock.now());
        let user = active.update(&txn).await.map_err(unique_violation)?;
        let tokens = self
            .sessions
            .reissue(&txn, &user, caller.session_id)
            .await?;
        self.links.queue_verification_email(&txn, &user).await?;
        txn.commit().await?;
        Ok(tokens)
    }

    /// The caller's profile.
    pub async fn profile(&self, db: &impl ConnectionTrait, caller: &Principal) -> Result<Profile> {
        Ok(profile(self.load(db, caller.user_id).await?))
    }

    /// Changes profile fields; absent ones stay, `null` clears.
    pub async fn update_profile(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        cmd: UpdateProfileCommand,
    ) -> Result<Profile> {
        let mut errors = Vec::new();
        let name = cmd.name.map_value(|n| n.trim().to_string());
        if name
            .value()
            .is_some_and(|n| !(1..=200).contains(&n.chars().count()))
        {
            errors.push(FieldError::new("name", "must be 1 to 200 characters"));
        }
        let phone = cmd.phone.map_value(|p| p.as_str().to_string());
        let locale_ok = |l: &String| {
            (2..=35).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if cmd.locale.value().is_some_and(|l| !locale_ok(l)) {
            errors.push(FieldError::new(
                "locale",
                "must be a language tag such as pt-BR",
            ));
        }
        let time_zone = cmd.time_zone.map_value(|tz| tz.name().to_string());
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }

        let mut user = self.load(db, caller.user_id).await?;
        name.update_to(&mut user.name);
        phone.update_to(&mut user.phone);
        cmd.locale.update_to(&mut user.locale);
        time_zone.update_to(&mut user.time_zone);
        user.updated_at = self.deps.clock.now();
        let mut active = user.into_active_model();
        for column in [
            user::Column::Name,
            user::Column::Phone,
            user::Column::Locale,
            user::Column::TimeZone,
            user::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        Ok(profile(active.update(db).await?))
    }

    /// Changes the caller's password (the current one is required) and ends
    /// every other session.
    #[tracing::instrument(skip_all, fields(user = %caller.user_id))]
    pub async fn change_password(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        cmd: ChangePasswordCommand,
    ) -> Result<()> {
        cmd.validate()?;
        let user = self.load(db, caller.user_id).await?;
        let Some(hash) = user.password_hash.clone() else {
            return Err(Error::AnonymousNotAllowed);
        };
        if !self
            .deps
            .passwords
            .verify(&cmd.current_password, &hash)
            .await?
        {
            return Err(Error::field(
                "current_password",
                "is not your current password",
            ));
        }
        check_policy(&cmd.new_password, user.email.as_deref())
            .map_err(|m| Error::field("new_password", m))?;
        let new_hash = self.deps.passwords.hash(&cmd.new_password).await?;
        let mut active = user.into_active_model();
        active.password_hash = Set(Some(new_hash));
        active.updated_at = Set(self.deps.clock.now());
        active.update(db).await?;
        self.sessions
            .revoke_all(
                db,
                caller.user_id,
                Some(caller.session_id),
                RevokeReason::PasswordChanged,
            )
            .await
    }

    pub(crate) async fn load(&self, db: &impl ConnectionTrait, id: UserId) -> Result<user::Model> {
        user::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::UserNotFound)
    }
}
