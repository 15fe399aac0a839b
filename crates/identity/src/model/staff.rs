//! Staff's view and management of users.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{Role, Timestamp, id::UserId};

/// A user as staff see it.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct StaffUserView {
    /// The id.
    pub id: UserId,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Verified phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_phone: Option<String>,
    /// Global roles.
    pub roles: Vec<Role>,
    /// Anonymous.
    pub anonymous: bool,
    /// When deactivated, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
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
