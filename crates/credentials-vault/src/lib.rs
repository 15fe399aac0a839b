//! The credentials vault: an organization's client secrets (logins, API
//! keys, SSH keys, database credentials, notes), encrypted at rest,
//! versioned, revealed only to those allowed and audited on every reveal.
//!
//! - [`crypto`]: envelope encryption (AES-256-GCM). Master keys from the
//!   environment wrap one random data key per organization; the data key
//!   encrypts secrets, bound to their organization, credential, version and
//!   field. Pure, without I/O.
//! - [`service`]: credentials (metadata for members, changes for admins),
//!   reveals with their audit trail, grants, and master-key rotation.
//!   Every org-scoped method takes the caller's
//!   [`OrgAccess`](trellis_kernel::ports::OrgAccess).
//! - [`jobs`]: the daily search for credentials due for rotation, which
//!   records one [`events::ROTATION_DUE`] event per organization.
//!
//! No view but [`model::RevealedSecret`] carries a secret; no `Debug`
//! output prints one.

pub mod crypto;
pub(crate) mod entities;
pub mod error;
pub mod events;
pub mod ids;
pub mod jobs;
pub mod model;
pub mod notices;
pub mod service;
pub(crate) mod view;

pub use error::{Error, Result};
pub use service::{Vault, VaultDeps};
