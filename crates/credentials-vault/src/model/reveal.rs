//! Reveals, their audit trail, versions, grants and key rotation.

use std::fmt;

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{Timestamp, id::UserId};
use zeroize::Zeroize;

use crate::ids::{CredentialId, RevealId};

/// Who is revealing, for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevealContext {
    /// The client's address.
    pub ip: Option<String>,
    /// The client's `User-Agent` (up to 512 characters).
    pub user_agent: Option<String>,
}

/// A revealed secret: the one response that carries one. Its `Debug` hides
/// it, and it is wiped when dropped.
#[derive(Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RevealedSecret {
    /// The credential.
    pub credential_id: CredentialId,
    /// The version revealed.
    pub version: i32,
    /// The secret.
    pub secret: String,
    /// The notes, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// When (the audit row's time).
    pub revealed_at: Timestamp,
}

impl fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevealedSecret")
            .field("credential_id", &self.credential_id)
            .field("version", &self.version)
            .field("secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Drop for RevealedSecret {
    fn drop(&mut self) {
        self.secret.zeroize();
        self.notes.zeroize();
    }
}

/// One reveal, in a credential's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RevealView {
    /// The id.
    pub id: RevealId,
    /// Who revealed it.
    pub user_id: UserId,
    /// Which version.
    pub version: i32,
    /// From which address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// With which client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// When.
    pub revealed_at: Timestamp,
}

/// One version of a credential's secret: who set it and when, never what.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct CredentialVersionView {
    /// 1, 2, ...
    pub version: i32,
    /// Whether reveal returns it by default.
    pub current: bool,
    /// Whether it has notes.
    pub has_notes: bool,
    /// Who set it.
    pub created_by: UserId,
    /// When.
    pub created_at: Timestamp,
}

/// A member's grant to reveal a credential.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct GrantView {
    /// The member.
    pub user_id: UserId,
    /// The admin who granted it.
    pub granted_by: UserId,
    /// When.
    pub granted_at: Timestamp,
}

/// What a master-key rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct RotationReport {
    /// The master key every data key is now wrapped under.
    pub active_key_id: String,
    /// Data keys re-wrapped by this call.
    pub rewrapped: u64,
    /// Data keys still under another master key the ring holds (0 once done).
    pub remaining: u64,
    /// Data keys under a master key the ring does not hold: they cannot be
    /// re-wrapped until that key is configured again.
    pub unknown_key: u64,
}
