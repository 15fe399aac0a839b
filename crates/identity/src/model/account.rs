//! Accounts: registration, upgrade, password and profile.

use poem_openapi::{Object, types::MaybeUndefined};
use serde::Serialize;
use trellis_kernel::{
    Role, Timestamp,
    id::UserId,
    types::{Email, Phone, TimeZone},
};
use validator::Validate;

/// Create an account.
#[derive(Debug, Clone, Object, Validate)]
pub struct RegisterCommand {
    /// Email address; normalised to lowercase.
    pub email: Email,
    /// At least 10 characters, not the email, not a common password.
    #[oai(write_only)]
    pub password: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
}

/// Attach credentials to an anonymous user.
#[derive(Debug, Clone, Object, Validate)]
pub struct UpgradeCommand {
    /// Email address.
    pub email: Email,
    /// Password, with the same rules as `register`.
    #[oai(write_only)]
    pub password: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
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
    pub phone: MaybeUndefined<Phone>,
    /// Preferred locale (BCP 47, such as `pt-BR`).
    pub locale: MaybeUndefined<String>,
    /// Preferred IANA time zone.
    pub time_zone: MaybeUndefined<TimeZone>,
}

/// The user part of a token response.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct UserSummary {
    /// The user id (stable, also across an anonymous upgrade).
    pub id: UserId,
    /// Email, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// True until an anonymous user upgrades.
    pub anonymous: bool,
}

/// The caller's own profile.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Profile {
    /// The id.
    pub id: UserId,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email has been proven.
    pub email_verified: bool,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contact phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The phone proven by a sign-in code, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_phone: Option<String>,
    /// Preferred locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Preferred time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Anonymous (not upgraded yet).
    pub anonymous: bool,
    /// Global roles.
    pub roles: Vec<Role>,
    /// Created.
    pub created_at: Timestamp,
}
