//! Credentials: their metadata in and out, their secret only in.

use std::fmt;

use poem_openapi::{Enum, Object, types::MaybeUndefined};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::{Timestamp, id::UserId};
use uuid::Uuid;
use validator::Validate;
use zeroize::Zeroize;

use crate::ids::CredentialId;

/// What sort of secret a credential holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CredentialKind {
    /// A username and password.
    #[sea_orm(string_value = "login")]
    Login,
    /// An API key or token.
    #[sea_orm(string_value = "api_key")]
    ApiKey,
    /// A private SSH key.
    #[sea_orm(string_value = "ssh_key")]
    SshKey,
    /// Database credentials or a connection string.
    #[sea_orm(string_value = "database")]
    Database,
    /// A secure note.
    #[sea_orm(string_value = "note")]
    Note,
    /// Anything else.
    #[sea_orm(string_value = "other")]
    Other,
}

/// Store a credential (admins). `secret` and `notes` are encrypted before
/// they reach the database and never appear in any response but reveal.
#[derive(Clone, Object, Validate)]
pub struct CreateCredential {
    /// Label.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// What sort of secret.
    pub kind: CredentialKind,
    /// Login name.
    #[validate(length(max = 200))]
    pub username: Option<String>,
    /// Where it is used.
    #[validate(length(max = 2000))]
    pub url: Option<String>,
    /// Tags, for search (up to 20 of up to 40 characters).
    #[oai(default)]
    pub tags: Vec<String>,
    /// The agency client it is for (time tracking).
    pub client_id: Option<Uuid>,
    /// The project it is for (time tracking); its client when `client_id` is absent.
    pub project_id: Option<Uuid>,
    /// The secret (up to 64 KiB).
    #[validate(length(min = 1, max = 65536))]
    pub secret: String,
    /// Notes, encrypted like the secret.
    #[validate(length(max = 65536))]
    pub notes: Option<String>,
    /// Due for rotation this many days after it last changed (1 to 3650).
    #[validate(range(min = 1, max = 3650))]
    pub rotate_after_days: Option<i32>,
}

impl fmt::Debug for CreateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateCredential")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Drop for CreateCredential {
    fn drop(&mut self) {
        self.secret.zeroize();
        self.notes.zeroize();
    }
}

/// Change a credential (admins); absent fields stay, `null` clears. A new
/// `secret` (or `notes`) makes a new version; the old one is kept.
#[derive(Clone, Default, Object)]
pub struct UpdateCredential {
    /// Label.
    pub name: Option<String>,
    /// What sort of secret.
    pub kind: Option<CredentialKind>,
    /// Login name.
    pub username: MaybeUndefined<String>,
    /// Where it is used.
    pub url: MaybeUndefined<String>,
    /// Tags (replace the current ones).
    pub tags: Option<Vec<String>>,
    /// The agency client it is for.
    pub client_id: MaybeUndefined<Uuid>,
    /// The project it is for.
    pub project_id: MaybeUndefined<Uuid>,
    /// A new secret: a new version, and the rotation clock restarts.
    pub secret: Option<String>,
    /// New notes (a new version; `null` removes them from it).
    pub notes: MaybeUndefined<String>,
    /// Rotation period in days (1 to 3650); `null`: never due.
    pub rotate_after_days: MaybeUndefined<i32>,
}

impl fmt::Debug for UpdateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateCredential")
            .field("name", &self.name)
            .field("secret", &self.secret.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

impl Drop for UpdateCredential {
    fn drop(&mut self) {
        self.secret.zeroize();
        if let MaybeUndefined::Value(notes) = &mut self.notes {
            notes.zeroize();
        }
    }
}

/// Which credentials to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialFilter {
    /// Part of the name, username or URL (any case).
    pub q: Option<String>,
    /// Of this kind.
    pub kind: Option<CredentialKind>,
    /// With this tag.
    pub tag: Option<String>,
    /// For this agency client.
    pub client_id: Option<Uuid>,
    /// For this project.
    pub project_id: Option<Uuid>,
    /// `true`: past their rotation date; `false`: not (or never due).
    pub rotation_due: Option<bool>,
}

/// A credential's metadata: never its secret or notes.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CredentialView {
    /// The id.
    pub id: CredentialId,
    /// Label.
    pub name: String,
    /// What sort of secret.
    pub kind: CredentialKind,
    /// Login name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Where it is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The agency client it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Uuid>,
    /// The project it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// The current version of its secret.
    pub version: i32,
    /// Rotation period in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotate_after_days: Option<i32>,
    /// When the secret last changed.
    pub last_rotated_at: Timestamp,
    /// When it is due for rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_due_at: Option<Timestamp>,
    /// Last revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_revealed_at: Option<Timestamp>,
    /// Who added it.
    pub created_by: UserId,
    /// Added.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
