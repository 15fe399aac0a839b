//! Vault services. Each org-scoped method takes the caller's
//! [`OrgAccess`](trellis_kernel::ports::OrgAccess): every query is scoped to
//! that organization, so another organization's ids are simply not found.

mod credentials;
mod grants;
mod keys;
mod links;
mod reveal;

use std::sync::Arc;

pub use credentials::CredentialService;
pub use grants::GrantService;
pub use keys::{KeyService, ROTATION_BATCH};
pub use reveal::RevealService;
use serde::de::DeserializeOwned;
use trellis_kernel::{
    PageRequest, SharedClock,
    ports::{Entitlements, Memberships, OrgAccess, OrgRole},
};

use crate::{
    crypto::KeyRing,
    error::{Error, Result},
};

/// What every vault service needs.
#[derive(Clone)]
pub struct VaultDeps {
    /// Now.
    pub clock: SharedClock,
    /// Organization memberships: a grant goes to a member.
    pub memberships: Arc<dyn Memberships>,
    /// The master keys (the first active).
    pub keys: Arc<KeyRing>,
    /// What an organization's plan allows (credentials).
    pub entitlements: Arc<dyn Entitlements>,
}

impl std::fmt::Debug for VaultDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultDeps")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// Every vault service.
#[derive(Debug, Clone)]
pub struct Vault {
    /// Credentials: metadata, versions.
    pub credentials: CredentialService,
    /// Reveals and their audit trail.
    pub reveals: RevealService,
    /// Members' grants.
    pub grants: GrantService,
    /// Data keys and master-key rotation.
    pub keys: KeyService,
}

impl Vault {
    /// Wires the services.
    pub fn new(deps: VaultDeps) -> Self {
        let deps = Arc::new(deps);
        Self {
            credentials: CredentialService::new(deps.clone()),
            reveals: RevealService::new(deps.clone()),
            grants: GrantService::new(deps.clone()),
            keys: KeyService::new(deps),
        }
    }
}

/// Admins and owners only (403 `org.role_required`).
fn require_admin(access: &OrgAccess) -> Result<()> {
    Ok(access.require(OrgRole::Admin)?)
}

/// The key a page continues after.
fn after<K: DeserializeOwned>(page: &PageRequest) -> Result<Option<K>> {
    page.key()
        .map_err(|e| Error::field("cursor", e.to_string()))
}

/// A required text field, trimmed and checked for length.
fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_string())
}

/// An optional text field: blank is none.
fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(Error::field(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// The most tags a credential has.
pub const MAX_TAGS: usize = 20;
/// The longest tag.
pub const MAX_TAG_LEN: usize = 40;

/// Tags trimmed, de-duplicated and checked: stored as a JSON array.
fn tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        let ok = !tag.is_empty()
            && tag.chars().count() <= MAX_TAG_LEN
            && !tag.chars().any(|c| c.is_control() || c == '"' || c == '\\');
        if !ok {
            return Err(Error::field(
                "tags",
                format!(
                    "each tag must be 1 to {MAX_TAG_LEN} characters, without quotes or backslashes"
                ),
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Error::field("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

/// A rotation period, if valid.
fn rotate_after(days: Option<i32>) -> Result<Option<i32>> {
    match days {
        Some(d) if !(1..=3650).contains(&d) => Err(Error::field(
            "rotate_after_days",
            "must be between 1 and 3650",
        )),
        other => Ok(other),
    }
}

/// A secret's size limit, in bytes.
pub const MAX_SECRET_BYTES: usize = 65_536;

fn check_secret(field: &str, value: &str, required: bool) -> Result<()> {
    if (required && value.is_empty()) || value.len() > MAX_SECRET_BYTES {
        return Err(Error::field(
            field,
            format!(
                "must be {} to {MAX_SECRET_BYTES} bytes",
                if required { 1 } else { 0 }
            ),
        ));
    }
    Ok(())
}
