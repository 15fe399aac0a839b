//! Rows to views.

use crate::{
    entities::{credential, credential_grant, credential_reveal, credential_version},
    model::{CredentialVersionView, CredentialView, GrantView, RevealView},
};

/// A credential's metadata.
pub fn credential(c: credential::Model) -> CredentialView {
    CredentialView {
        id: c.id,
        name: c.name,
        kind: c.kind,
        username: c.username,
        url: c.url,
        tags: serde_json::from_str(&c.tags).unwrap_or_default(),
        client_id: c.client_id,
        project_id: c.project_id,
        version: c.current_version,
        rotate_after_days: c.rotate_after_days,
        last_rotated_at: c.last_rotated_at.into(),
        rotation_due_at: c.rotation_due_at.map(Into::into),
        last_revealed_at: c.last_revealed_at.map(Into::into),
        created_by: c.created_by,
        created_at: c.created_at.into(),
        updated_at: c.updated_at.into(),
    }
}

/// A version, without its ciphertext.
pub fn version(v: credential_version::Model, current: i32) -> CredentialVersionView {
    CredentialVersionView {
        version: v.version,
        current: v.version == current,
        has_notes: v.notes_ciphertext.is_some(),
        created_by: v.created_by,
        created_at: v.created_at.into(),
    }
}

/// An audit row.
pub fn reveal(r: credential_reveal::Model) -> RevealView {
    RevealView {
        id: r.id,
        user_id: r.user_id,
        version: r.version,
        ip: r.ip,
        user_agent: r.user_agent,
        revealed_at: r.revealed_at.into(),
    }
}

/// A grant.
pub fn grant(g: credential_grant::Model) -> GrantView {
    GrantView {
        user_id: g.user_id,
        granted_by: g.granted_by,
        granted_at: g.granted_at.into(),
    }
}
