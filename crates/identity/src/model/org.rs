//! Organizations and their members.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{
    Timestamp,
    id::{OrgId, UserId},
    ports::OrgRole,
    types::Email,
};
use validator::Validate;

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
#[derive(Debug, Clone, Object, Serialize)]
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
    pub email: Email,
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
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberView {
    /// The member's user id.
    pub user_id: UserId,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Role.
    pub role: OrgRole,
    /// Joined.
    pub created_at: Timestamp,
}
