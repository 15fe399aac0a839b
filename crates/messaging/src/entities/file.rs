//! `chat_files`: an uploaded file's facts; its bytes are in the blob store.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::FileId;

/// A file.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_files")]
pub struct Model {
    /// The id (also its blob's key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: FileId,
    /// The uploader; `None` once their account is deleted.
    pub owner_id: Option<UserId>,
    /// The sanitised file name.
    pub name: String,
    /// The type sniffed from the bytes (never the client's word).
    pub content_type: String,
    /// The size in bytes.
    pub size_bytes: i64,
    /// Where the blob store keeps the bytes.
    pub storage_key: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Uploaded.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
