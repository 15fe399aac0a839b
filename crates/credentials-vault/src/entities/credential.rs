//! `credentials`: what is stored about a secret, never the secret.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::{OrgId, UserId};

use crate::{ids::CredentialId, model::CredentialKind};

/// A credential's metadata.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CredentialId,
    /// Whose.
    pub org_id: OrgId,
    /// The agency client it is for (time tracking's `agency_clients`).
    pub client_id: Option<Uuid>,
    /// The project it is for (time tracking's `projects`).
    pub project_id: Option<Uuid>,
    /// Label.
    pub name: String,
    /// What sort of secret.
    pub kind: CredentialKind,
    /// Login name.
    pub username: Option<String>,
    /// Where it is used.
    pub url: Option<String>,
    /// JSON array of tags.
    pub tags: String,
    /// The version reveal returns by default.
    pub current_version: i32,
    /// Rotate this many days after the last rotation.
    pub rotate_after_days: Option<i32>,
    /// When the secret last changed.
    pub last_rotated_at: DateTimeUtc,
    /// `last_rotated_at + rotate_after_days`.
    pub rotation_due_at: Option<DateTimeUtc>,
    /// Last revealed (by anyone).
    pub last_revealed_at: Option<DateTimeUtc>,
    /// Who added it.
    pub created_by: UserId,
    /// Added.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
