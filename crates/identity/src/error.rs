//! The identity domain's errors. `Display` is safe to show a user.

use std::time::Duration;

use sea_orm::DbErr;
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
    ports::{AccessError, LimitReached},
};

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything identity operations can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// Wrong email or password (deliberately vague).
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// The account has been deactivated by staff.
    #[error("this account has been deactivated")]
    Deactivated,
    /// Another account has this email.
    #[error("an account with this email already exists")]
    EmailTaken,
    /// Another account has proven this phone.
    #[error("another account uses this phone number")]
    PhoneTaken,
    /// The refresh token is unknown, expired, or its session has ended.
    #[error("the refresh token is not valid; sign in again")]
    InvalidRefreshToken,
    /// An already-rotated refresh token was presented: the session is revoked.
    #[error("this refresh token was already used; the session has been ended for safety")]
    RefreshTokenReused,
    /// A verification or reset link is unknown, used or expired.
    #[error("the link is invalid or has expired")]
    InvalidLink,
    /// Codes are sent at most once per cooldown.
    #[error("a code was sent recently; wait before asking again")]
    OtpCooldown(Duration),
    /// Too many codes for this phone in the last hour.
    #[error("too many codes were sent to this phone; try again later")]
    OtpHourlyCap(Duration),
    /// The code is wrong.
    #[error("the code is wrong")]
    OtpInvalid,
    /// No live code: expired, used, or killed by too many wrong tries.
    #[error("the code has expired or was tried too many times; request a new one")]
    OtpExpired,
    /// `upgrade` on an account that already has credentials.
    #[error("this account is not anonymous")]
    NotAnonymous,
    /// Anonymous users cannot do this until they upgrade.
    #[error("anonymous users must attach an email and password first")]
    AnonymousNotAllowed,
    /// No such user (or not visible).
    #[error("user not found")]
    UserNotFound,
    /// No such session among the caller's.
    #[error("session not found")]
    SessionNotFound,
    /// Organization access refused.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The user is not a member.
    #[error("membership not found")]
    MemberNotFound,
    /// The user is already a member.
    #[error("this user is already a member")]
    AlreadyMember,
    /// The organization's plan allows no more members.
    #[error(transparent)]
    PlanLimit(#[from] LimitReached),
    /// Removing or demoting the last owner.
    #[error("an organization must keep at least one owner")]
    LastOwner,
    /// Only owners may appoint or demote owners.
    #[error("only an owner can grant or remove the owner role")]
    OwnerRequired,
    /// Changing global roles needs the admin role.
    #[error("only admins can change roles")]
    AdminRequired,
    /// No SMS provider is configured, so a sign-in code could not reach anyone.
    #[error("text messages cannot be sent right now; sign in another way")]
    SmsUnavailable,
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
    /// A fault on our side.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// A single invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// An internal fault.
    pub fn internal(what: &'static str) -> Self {
        Self::Internal(what)
    }
}

impl From<validator::ValidationErrors> for Error {
    fn from(errors: validator::ValidationErrors) -> Self {
        Self::Validation(field_errors(&errors))
    }
}

impl DomainError for Error {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::Validation(_) => K::Unprocessable,
            Self::InvalidCredentials
            | Self::InvalidRefreshToken
            | Self::RefreshTokenReused
            | Self::OtpInvalid
            | Self::OtpExpired => K::Unauthorized,
            Self::Deactivated
            | Self::AnonymousNotAllowed
            | Self::OwnerRequired
            | Self::AdminRequired => K::Forbidden,
            Self::EmailTaken
            | Self::PhoneTaken
            | Self::NotAnonymous
            | Self::AlreadyMember
            | Self::LastOwner => K::Conflict,
            Self::InvalidLink => K::Unprocessable,
            Self::OtpCooldown(_) | Self::OtpHourlyCap(_) => K::TooManyRequests,
            Self::UserNotFound | Self::SessionNotFound | Self::MemberNotFound => K::NotFound,
            Self::PlanLimit(e) => e.kind(),
            Self::Access(e) => e.kind(),
            Self::Database(e) => db_error_kind(e),
            Self::Internal(_) => K::Internal,
            Self::SmsUnavailable => K::Unavailable,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::InvalidCredentials => "auth.invalid_credentials",
            Self::Deactivated => "auth.account_deactivated",
            Self::EmailTaken => "user.email_taken",
            Self::PhoneTaken => "user.phone_taken",
            Self::InvalidRefreshToken => "auth.invalid_refresh_token",
            Self::RefreshTokenReused => "auth.refresh_token_reused",
            Self::InvalidLink => "auth.invalid_link",
            Self::OtpCooldown(_) => "otp.cooldown",
            Self::OtpHourlyCap(_) => "otp.hourly_cap",
            Self::OtpInvalid => "otp.invalid_code",
            Self::OtpExpired => "otp.expired",
            Self::NotAnonymous => "auth.not_anonymous",
            Self::AnonymousNotAllowed => "auth.anonymous_not_allowed",
            Self::UserNotFound => "user.not_found",
            Self::SessionNotFound => "session.not_found",
            Self::Access(e) => e.code(),
            Self::MemberNotFound => "membership.not_found",
            Self::AlreadyMember => "membership.exists",
            Self::PlanLimit(e) => e.code(),
            Self::LastOwner => "membership.last_owner",
            Self::OwnerRequired => "membership.owner_required",
            Self::AdminRequired => "auth.admin_required",
            Self::SmsUnavailable => "delivery.unavailable",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::OtpCooldown(d) | Self::OtpHourlyCap(d) => Some(*d),
            _ => None,
        }
    }
}
