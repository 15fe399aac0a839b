//! Sign-in with a password, token refresh, sessions.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{Timestamp, id::SessionId};
use validator::Validate;

use super::UserSummary;

/// Who is signing in, as far as the request tells (for the sessions list).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `User-Agent`, truncated.
    pub user_agent: Option<String>,
    /// Client address.
    pub ip: Option<String>,
}

/// Sign in with email and password.
#[derive(Debug, Clone, Object, Validate)]
pub struct LoginCommand {
    /// Email address.
    // Text, not `Email`: a malformed address fails like any unknown one
    // (401 `auth.invalid_credentials`), so sign-in has one way to fail.
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

/// Tokens after a sign-in or refresh.
#[derive(Debug, Clone, Object, Serialize)]
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
#[derive(Debug, Clone, Object, Serialize)]
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

/// A signed-in device.
#[derive(Debug, Clone, Object, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Address at sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The session of the token making this request.
    pub current: bool,
}
