//! Blobs as files on the local disk.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::{fs, io::AsyncWriteExt};
use tokio_util::io::ReaderStream;

use super::blob::{BlobError, BlobKey, BlobStore, BlobStream};

/// Blobs under a directory (by default `./data/files`), fanned out into
/// subdirectories by the key's last two characters so no directory grows
/// without bound. A write goes to a temporary file in the same directory,
/// is synced, then renamed over the final name: a reader never sees a
/// partial blob, and a crash leaves at most a `.tmp` file behind. Keys are
/// [`BlobKey`]s, so no path is ever built from what a client sent.
#[derive(Debug, Clone)]
pub struct LocalDiskStore {
    root: PathBuf,
}

impl LocalDiskStore {
    /// Blobs under `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory blobs live under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir_of(&self, key: &BlobKey) -> PathBuf {
        let k = key.as_str();
        self.root.join(&k[k.len() - 2..])
    }

    fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.dir_of(key).join(key.as_str())
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalDiskStore {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        let dir = self.dir_of(key);
        fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!(".{key}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = async {
            let mut file = fs::File::create(&tmp).await?;
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            drop(file);
            fs::rename(&tmp, self.path_of(key)).await
        }
        .await;
        if let Err(err) = written {
            let _ = fs::remove_file(&tmp).await;
            return Err(err.into());
        }
        // The rename is durable once the directory is synced (best effort:
        // not every platform can open a directory).
        if let Ok(dir) = fs::File::open(&dir).await {
            let _ = dir.sync_all().await;
        }
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<BlobStream, BlobError> {
        match fs::File::open(self.path_of(key)).await {
            Ok(file) => Ok(ReaderStream::new(file).boxed()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound),
            Err(err) => Err(err.into()),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use futures_util::TryStreamExt;

    use super::*;
    use crate::ids::FileId;

    async fn read(store: &LocalDiskStore, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
        let chunks: Vec<Bytes> = store.get(key).await?.try_collect().await?;
        Ok(chunks.concat())
    }

    #[tokio::test]
    async fn put_get_replace_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDiskStore::new(dir.path().join("files"));
        let key = BlobKey::for_file(FileId::new());
        assert!(matches!(read(&store, &key).await, Err(BlobError::NotFound)));

        store.put(&key, Bytes::from_static(b"first")).await.unwrap();
        assert_eq!(read(&store, &key).await.unwrap(), b"first");
        store
            .put(&key, Bytes::from_static(b"second"))
            .await
            .unwrap();
        assert_eq!(read(&store, &key).await.unwrap(), b"second");

        // Under the root, fanned out, and no temporary file left behind.
        let path = store.path_of(&key);
        assert!(path.starts_with(dir.path().join("files")));
        let siblings: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(siblings, vec![std::ffi::OsString::from(key.as_str())]);

        store.delete(&key).await.unwrap();
        assert!(matches!(read(&store, &key).await, Err(BlobError::NotFound)));
        // Deleting again is no error.
        store.delete(&key).await.unwrap();
    }

    #[tokio::test]
    async fn a_large_blob_streams_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDiskStore::new(dir.path());
        let key = BlobKey::for_file(FileId::new());
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        store.put(&key, Bytes::from(bytes.clone())).await.unwrap();
        let chunks: Vec<Bytes> = store.get(&key).await.unwrap().try_collect().await.unwrap();
        assert!(chunks.len() > 1, "streamed, not read whole");
        assert_eq!(chunks.concat(), bytes);
    }

    #[tokio::test]
    async fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The root is a file: nothing can be created under it.
        let root = dir.path().join("not-a-dir");
        std::fs::write(&root, b"x").unwrap();
        let store = LocalDiskStore::new(&root);
        let key = BlobKey::for_file(FileId::new());
        assert!(store.put(&key, Bytes::from_static(b"data")).await.is_err());
        assert_eq!(std::fs::read(&root).unwrap(), b"x");
    }
}
