//! Staff's view and management of users.

use poem_openapi::Object;
use trellis_kernel::{Role, Timestamp, id::UserId};

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
