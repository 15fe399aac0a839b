//! The blob store port: bytes in, a stream of bytes out, by key.

use bytes::Bytes;
use futures_util::stream::BoxStream;

use crate::ids::FileId;

/// A blob's bytes as they are read, chunk by chunk.
pub type BlobStream = BoxStream<'static, std::io::Result<Bytes>>;

/// Why a blob store failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No blob under that key.
    #[error("no such blob")]
    NotFound,
    /// A local file operation failed.
    #[error("blob storage failed: {0}")]
    Io(#[from] std::io::Error),
    /// The object store refused or could not be reached.
    #[error("object store failed: {0}")]
    Store(object_store::Error),
}

impl From<object_store::Error> for BlobError {
    fn from(err: object_store::Error) -> Self {
        match err {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// The key a blob is kept under: 8 to 64 ASCII letters, digits and `-`,
/// so every store can use it as a path segment as it is (nothing a client
/// sends ever becomes a path).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// The key of a file's bytes: its id.
    pub fn for_file(id: FileId) -> Self {
        Self(id.0.to_string())
    }

    /// A stored key, checked again.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (8..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where file bytes are kept. A blob is written whole (uploads are bounded
/// and already in memory, sniffed and hashed) and read as a stream.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing what was there; a reader sees
    /// the old blob or the new one, never a part.
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError>;

    /// The blob under `key`, or [`BlobError::NotFound`].
    async fn get(&self, key: &BlobKey) -> Result<BlobStream, BlobError>;

    /// Removes the blob under `key`; a missing one is no error.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_safe_path_segments() {
        let id = FileId::new();
        let key = BlobKey::for_file(id);
        assert_eq!(BlobKey::parse(key.as_str()), Some(key));
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            "a/b-c-d-e-f",
            "abc.def.ghi",
            "ünïcödé-kéy",
        ] {
            assert_eq!(BlobKey::parse(bad), None, "{bad}");
        }
        assert_eq!(BlobKey::parse(&"a".repeat(65)), None);
    }
}
