//! Files: where their bytes live ([`BlobStore`]: the local disk, or any
//! S3-compatible store through `object_store`), what they may be (the type
//! is sniffed from the bytes and checked against an allow-list), what they
//! are called (names made safe), and links that open one without signing in
//! ([`LinkSigner`]).
//!
//! The rules (who may upload, who may download) are the
//! [`FileService`](crate::service::FileService)'s; this module is the
//! machinery.

mod blob;
mod kind;
mod local;
mod name;
mod object;
mod signing;

use std::{sync::Arc, time::Duration};

pub use blob::{BlobError, BlobKey, BlobStore, BlobStream};
pub use kind::{DEFAULT_ALLOWED_TYPES, TypeCheck, check_type, essence, sniff};
pub use local::LocalDiskStore;
pub use name::{content_disposition, sanitize_name};
pub use object::{ObjectStoreBlobs, S3Settings, install_tls_provider};
use secrecy::SecretSlice;
pub use signing::LinkSigner;

/// How files are stored and checked.
#[derive(Clone)]
pub struct FileStorage {
    /// Where the bytes go.
    pub blobs: Arc<dyn BlobStore>,
    /// Limits, allowed types, link signing.
    pub config: FilesConfig,
}

impl std::fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStorage")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FileStorage {
    /// Storage in memory (`object_store`'s `InMemory`) with the default
    /// limits and a random signing key: for tests.
    pub fn in_memory() -> Self {
        Self {
            blobs: Arc::new(ObjectStoreBlobs::in_memory()),
            config: FilesConfig::default(),
        }
    }
}

/// Limits, allowed types and link signing.
#[derive(Clone, Debug)]
pub struct FilesConfig {
    /// The largest file, in bytes.
    pub max_bytes: usize,
    /// The types a file may have (as sniffed), such as `image/png`.
    pub allowed_types: Vec<String>,
    /// The key signed links are signed with.
    pub signing_key: SecretSlice<u8>,
    /// How long a signed link works.
    pub link_ttl: Duration,
}

/// 10 MiB.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Fifteen minutes.
pub const DEFAULT_LINK_TTL: Duration = Duration::from_secs(15 * 60);

impl Default for FilesConfig {
    /// The default limit and types, and a random signing key.
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            allowed_types: DEFAULT_ALLOWED_TYPES
                .iter()
                .map(|t| t.to_string())
                .collect(),
            signing_key: LinkSigner::random_key(),
            link_ttl: DEFAULT_LINK_TTL,
        }
    }
}
