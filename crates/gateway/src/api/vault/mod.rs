//! The credentials vault, under `/api/v1/orgs/{org_id}/credentials`, and
//! master-key rotation for staff on the internal listener.
//!
//! Every public route is organization-scoped: `OrgMember<R>` proves the
//! caller's membership and role (a foreign organization is 404
//! `org.not_found`, a weak role 403 `org.role_required`) and the services
//! scope every query to that organization, so another organization's
//! credential ids are 404 too. Members read metadata; admins change
//! credentials, grant, and read versions and the audit trail. Who may
//! reveal (admins, or members holding a grant) is the reveal service's
//! rule, so these handlers hold no access checks.
//!
//! Only `reveal` ever answers with a secret.

pub mod credentials;
pub mod grants;
pub mod keys;
pub mod reveal;

/// Vault operations on the public listener.
pub type Public = (
    credentials::CredentialsApi,
    reveal::RevealApi,
    grants::GrantsApi,
);

/// Vault operations on the internal listener.
pub type Internal = keys::VaultKeysApi;
