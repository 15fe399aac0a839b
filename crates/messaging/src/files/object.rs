//! Blobs in an object store: S3 or anything that speaks its API (MinIO,
//! Ceph, R2, ...), or `object_store`'s in-memory store in tests.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload, aws::AmazonS3Builder, memory::InMemory, path::Path,
};
use secrecy::{ExposeSecret, SecretString};

use super::blob::{BlobError, BlobKey, BlobStore, BlobStream};

/// Where blobs go in a bucket, so the bucket can hold other things.
const PREFIX: &str = "files";

/// How to reach an S3-compatible bucket.
#[derive(Clone, Debug)]
pub struct S3Settings {
    /// The bucket.
    pub bucket: String,
    /// The endpoint of a store other than AWS (`http://127.0.0.1:9000`);
    /// path-style requests are used.
    pub endpoint: Option<String>,
    /// The region (any value for most S3-compatible stores).
    pub region: String,
    /// The access key; without one, the instance's credentials are used.
    pub access_key_id: Option<String>,
    /// The secret key.
    pub secret_access_key: Option<SecretString>,
}

/// Installs ring as the process's rustls provider (once; later calls do
/// nothing). The S3 client's HTTPS runs on rustls without a provider of its
/// own, so that the process keeps the one provider every other TLS user
/// here has (ring) and never pulls in a second.
pub fn install_tls_provider() {
    // Err means a provider is installed already: that is the goal.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A [`BlobStore`] over any `object_store` store: blobs are objects named
/// `files/<key>`.
#[derive(Debug, Clone)]
pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
}

impl ObjectStoreBlobs {
    /// Over a store built elsewhere.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Over `object_store`'s in-memory store (tests).
    pub fn in_memory() -> Self {
        Self::new(Arc::new(InMemory::new()))
    }

    /// Over an S3-compatible bucket. Requests are signed (AWS SigV4) with
    /// the configured keys.
    pub fn s3(settings: &S3Settings) -> Result<Self, BlobError> {
        install_tls_provider();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose_secret());
        }
        Ok(Self::new(Arc::new(builder.build()?)))
    }

    fn path_of(key: &BlobKey) -> Path {
        Path::from_iter([PREFIX, key.as_str()])
    }
}

#[async_trait::async_trait]
impl BlobStore for ObjectStoreBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&Self::path_of(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<BlobStream, BlobError> {
        let found = self.store.get(&Self::path_of(key)).await?;
        Ok(found.into_stream().map_err(std::io::Error::other).boxed())
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&Self::path_of(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ids::FileId;

    #[tokio::test]
    async fn put_get_delete_in_memory() {
        let store = ObjectStoreBlobs::in_memory();
        let key = BlobKey::for_file(FileId::new());
        assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
        store.put(&key, Bytes::from_static(b"hello")).await.unwrap();
        let read: Vec<Bytes> = store.get(&key).await.unwrap().try_collect().await.unwrap();
        assert_eq!(read.concat(), b"hello");
        store.delete(&key).await.unwrap();
        assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
        store.delete(&key).await.unwrap();
    }

    #[test]
    fn objects_are_named_under_the_prefix() {
        let key = BlobKey::for_file(FileId::new());
        assert_eq!(
            ObjectStoreBlobs::path_of(&key).as_ref(),
            format!("files/{key}")
        );
    }
}
