//! The events the vault records in the outbox.
//!
//! The daily rotation job records one [`ROTATION_DUE`] event per
//! organization with credentials past their rotation date; the vault's
//! [`RotationDueNotices`](crate::notices::RotationDueNotices) subscriber
//! turns it into a `credential_rotation_due` notification to each owner.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trellis_kernel::id::OrgId;
use uuid::Uuid;

use crate::ids::CredentialId;

/// Credentials of an organization are due for rotation; payload [`RotationDue`].
pub const ROTATION_DUE: &str = "credential.rotation_due";

/// Every event kind the vault records.
pub const KINDS: &[&str] = &[ROTATION_DUE];

/// The most credentials one event names (the most overdue first).
pub const MAX_NAMED: usize = 50;

/// The payload of [`ROTATION_DUE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationDue {
    /// The organization.
    pub org_id: OrgId,
    /// How many of its credentials are due.
    pub total: u32,
    /// Up to [`MAX_NAMED`] of them, the most overdue first.
    pub due: Vec<DueCredential>,
}

/// One credential due for rotation (metadata only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueCredential {
    /// The credential.
    pub credential_id: CredentialId,
    /// Its label.
    pub name: String,
    /// The agency client it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Uuid>,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
}
