//! Commands (what clients send) and views (what they get back).
//!
//! These types are part of the domain's contract, so they carry their OpenAPI
//! schema (`Object`) and their field rules (`Validate`); services validate
//! every command before acting on it.
//!
//! An optional field of a view is omitted when it has no value, never sent
//! as `null`: every `Object` a response carries is marked
//! `#[oai(skip_serializing_if_is_none)]`, so its `Option` fields are simply
//! absent (the spec lists them as not required, and says nothing of `null`).
//! Follow the same rule in every domain; the black-box suite checks every
//! response against the committed spec and fails on a `null`.

use poem_openapi::{Object, types::MaybeUndefined};
use trellis_kernel::Timestamp;
use trellis_kernel::{
    Role,
    id::{OrgId, SessionId, UserId},
    ports::OrgRole,
};
use validator::Validate;

/// Who is signing in, as far as the request tells (for the sessions list).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `User-Agent`, truncated.
    pub user_agent: Option<String>,
    /// Client address.
    pub ip: Option<String>,
}

/// Create an account.
#[derive(Debug, Clone, Object, Validate)]
pub struct RegisterCommand {
    /// Email address; normalised to lowercase.
    #[validate(length(max = 254))]
    pub email: String,
    /// At least 10 characters, not the email, not a common password.
    #[oai(write_only)]
    pub password: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
}

/// Sign in with email and password.
#[derive(Debug, Clone, Object, Validate)]
pub struct LoginCommand {
    /// Email address.
    #[validate(length(max = 254))]
    pub email: String,
    /// Password.
    #[oai(write_only)]
    #[validate(length(max = 1024))]
    pub password: String,
}

/// A refresh token to rotate.
#[derive(Debug, Clone, Object, Validate)]
pub struct RefreshCommand {
    /// The refresh token from the last token response.
    #[validate(length(min = 1, max = 256))]
    pub refresh_token: String,
}

/// Optional body of `logout`: the session ends by the bearer's `sid` either way.
#[derive(Debug, Clone, Default, Object)]
pub struct LogoutCommand {
    /// Accepted for symmetry with `refresh`; not required.
    pub refresh_token: Option<String>,
}

/// Attach credentials to an anonymous user.
#[derive(Debug, Clone, Object, Validate)]
pub struct UpgradeCommand {
    /// Email address.
    #[validate(length(max = 254))]
    pub email: String,
    /// Password, with the same rules as `register`.
    #[oai(write_only)]
    pub password: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
}

/// Ask for a password reset link.
#[derive(Debug, Clone, Object, Validate)]
pub struct PasswordResetRequest {
    /// The account's email.
    #[validate(length(max = 254))]
    pub email: String,
}

/// Set a new password with a reset link's token.
#[derive(Debug, Clone, Object, Validate)]
pub struct PasswordResetConfirm {
    /// The token from the link.
    #[validate(length(min = 1, max = 256))]
    pub token: String,
    /// The new password.
    #[oai(write_only)]
    pub new_password: String,
}

/// Prove an email address with the token from the verification link.
#[derive(Debug, Clone, Object, Validate)]
pub struct VerifyEmailCommand {
    /// The token from the link.
    #[validate(length(min = 1, max = 256))]
    pub token: String,
}

/// Send a sign-in code to a phone.
#[derive(Debug, Clone, Object, Validate)]
pub struct OtpRequestCommand {
    /// International number, such as `+351912345678`.
    #[validate(length(max = 32))]
    pub phone: String,
}

/// A code was sent.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OtpSent {
    /// Seconds the code stays valid.
    pub expires_in: i64,
    /// Seconds before another code may be requested.
    pub resend_after: i64,
}

/// Sign in with a phone code.
#[derive(Debug, Clone, Object, Validate)]
pub struct OtpVerifyCommand {
    /// The number the code was sent to.
    #[validate(length(max = 32))]
    pub phone: String,
    /// The six digits.
    #[validate(length(equal = 6))]
    pub code: String,
}

/// Change one's password.
#[derive(Debug, Clone, Object, Validate)]
pub struct ChangePasswordCommand {
    /// The password in use.
    #[oai(write_only)]
    #[validate(length(max = 1024))]
    pub current_password: String,
    /// The new password.
    #[oai(write_only)]
    pub new_password: String,
}

/// Profile changes; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateProfileCommand {
    /// Display name.
    pub name: MaybeUndefined<String>,
    /// Contact phone (international form). Signing in by phone needs a code.
    pub phone: MaybeUndefined<String>,
    /// Preferred locale (BCP 47, such as `pt-BR`).
    pub locale: MaybeUndefined<String>,
    /// Preferred IANA time zone.
    pub time_zone: MaybeUndefined<String>,
}

/// The user part of a token response.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserSummary {
    /// The user id (stable, also across an anonymous upgrade).
    pub id: UserId,
    /// Email, if any.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// True until an anonymous user upgrades.
    pub anonymous: bool,
}

/// Tokens after a sign-in or refresh.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuthTokens {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use: exchange it at `/auth/refresh` for new tokens.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Who signed in.
    pub user: UserSummary,
}

/// Tokens for the control center: the refresh token travels in a cookie.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccessToken {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Who signed in.
    pub user: UserSummary,
}

/// The caller's own profile.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Profile {
    /// The id.
    pub id: UserId,
    /// Email.
    pub email: Option<String>,
    /// Whether the email has been proven.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// The phone proven by a sign-in code, if any.
    pub verified_phone: Option<String>,
    /// Preferred locale.
    pub locale: Option<String>,
    /// Preferred time zone.
    pub time_zone: Option<String>,
    /// Anonymous (not upgraded yet).
    pub anonymous: bool,
    /// Global roles.
    pub roles: Vec<Role>,
    /// Created.
    pub created_at: Timestamp,
}

/// A signed-in device.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SessionView {
    /// The id.
    pub id: SessionId,
    /// Signed in.
    pub created_at: Timestamp,
    /// Last token refresh.
    pub last_used_at: Timestamp,
    /// Ends unless refreshed before.
    pub expires_at: Timestamp,
    /// Browser or app, as it said.
    pub user_agent: Option<String>,
    /// Address at sign-in.
    pub ip: Option<String>,
    /// The session of the token making this request.
    pub current: bool,
}

/// Create an organization.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateOrgCommand {
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
}

/// Rename an organization.
#[derive(Debug, Clone, Object, Validate)]
pub struct UpdateOrgCommand {
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
}

/// An organization, seen by a member.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrgView {
    /// The id.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// The caller's role in it.
    pub role: OrgRole,
    /// Created.
    pub created_at: Timestamp,
}

/// Add a member by email.
#[derive(Debug, Clone, Object, Validate)]
pub struct AddMemberCommand {
    /// The email of an existing account.
    #[validate(length(max = 254))]
    pub email: String,
    /// Role to grant.
    pub role: OrgRole,
}

/// Change a member's role.
#[derive(Debug, Clone, Object)]
pub struct ChangeRoleCommand {
    /// The new role.
    pub role: OrgRole,
}

/// A member of an organization.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberView {
    /// The member's user id.
    pub user_id: UserId,
    /// Email.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Role.
    pub role: OrgRole,
    /// Joined.
    pub created_at: Timestamp,
}

/// A user as staff see it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StaffUserView {
    /// The id.
    pub id: UserId,
    /// Email.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Verified phone.
    pub verified_phone: Option<String>,
    /// Global roles.
    pub roles: Vec<Role>,
    /// Anonymous.
    pub anonymous: bool,
    /// When deactivated, if so.
    pub deactivated_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
}

/// What staff may change about a user.
#[derive(Debug, Clone, Default, Object)]
pub struct StaffUserPatch {
    /// Replace the global roles (admins only).
    pub roles: Option<Vec<Role>>,
    /// Deactivate (ends every session at once, refuses sign-in) or reactivate.
    pub deactivated: Option<bool>,
}
