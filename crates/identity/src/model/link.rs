//! Single-use email links: password reset and email verification.

use poem_openapi::Object;
use validator::Validate;

/// Ask for a password reset link.
#[derive(Debug, Clone, Object, Validate)]
pub struct PasswordResetRequest {
    /// The account's email.
    // Text, not `Email`: the answer is 202 whatever was typed, so it never
    // tells whether an address has an account.
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
