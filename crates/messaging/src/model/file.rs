//! Files and message attachments.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::Timestamp;

use crate::{files::BlobStream, ids::FileId};

/// The most attachments one message carries.
pub const MAX_ATTACHMENTS: usize = 10;

/// A file to store, as the upload brought it.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// The client's file name (made safe before it is stored).
    pub name: Option<String>,
    /// The type the client declared for it (checked against the bytes).
    pub declared_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

/// An uploaded file.
#[derive(Debug, Clone, Object, Serialize)]
pub struct FileView {
    /// The id: attach it to a message, or download it.
    pub id: FileId,
    /// The file name, made safe.
    pub name: String,
    /// The type, sniffed from the bytes.
    pub content_type: String,
    /// The size in bytes.
    pub size_bytes: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Uploaded.
    pub created_at: Timestamp,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct AttachmentView {
    /// The file's id (`GET /api/v1/files/{id}` downloads it).
    pub id: FileId,
    /// Its name.
    pub name: String,
    /// Its type.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// A file being downloaded: its facts and its bytes as they are read.
pub struct FileDownload {
    /// The file.
    pub file: AttachmentView,
    /// The bytes.
    pub body: BlobStream,
}

impl std::fmt::Debug for FileDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDownload")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// A signed link's parts: the file opens with `expires` and `signature`
/// until `expires_at`, without signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    /// The file.
    pub file_id: FileId,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// `expires_at` in Unix seconds, as the link carries it.
    pub expires: i64,
    /// The signature, URL-safe base64.
    pub signature: String,
}
