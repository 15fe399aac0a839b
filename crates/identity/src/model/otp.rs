//! Sign-in with a code sent to a phone.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::types::Phone;
use validator::Validate;

/// Send a sign-in code to a phone.
#[derive(Debug, Clone, Object, Validate)]
pub struct OtpRequestCommand {
    /// International number, such as `+351912345678`.
    pub phone: Phone,
}

/// A code was sent.
#[derive(Debug, Clone, Object, Serialize)]
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
    pub phone: Phone,
    /// The six digits.
    #[validate(length(equal = 6))]
    pub code: String,
}
