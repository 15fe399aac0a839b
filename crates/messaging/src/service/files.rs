//! Files: upload, download, signed links.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query,
};
use sha2::{Digest, Sha256};
use trellis_kernel::id::UserId;

use crate::{
    entities::{attachment, file, member, message},
    error::{Error, Result},
    files::{BlobKey, FileStorage, LinkSigner, TypeCheck, check_type, sanitize_name, sniff},
    ids::FileId,
    model::{FileDownload, FileLink, FileView, NewFile},
    service::MessagingDeps,
    view,
};

/// Uploads, downloads and signed links.
///
/// A file belongs to its uploader. Its owner may download it, and so may
/// every member of a room where a message carrying it was posted (while that
/// message links it: deleting the message removes the link). Anyone else is
/// told it does not exist.
#[derive(Debug, Clone)]
pub struct FileService {
    deps: Arc<MessagingDeps>,
    storage: Arc<FileStorage>,
    signer: LinkSigner,
}

impl FileService {
    pub(crate) fn new(deps: Arc<MessagingDeps>, storage: FileStorage) -> Self {
        let signer = LinkSigner::new(storage.config.signing_key.clone());
        Self {
            deps,
            storage: Arc::new(storage),
            signer,
        }
    }

    /// Stores an upload: refused when empty, over the size limit, of a type
    /// not allowed, or of a type other than it was declared; its name made
    /// safe. The blob is written first and the row second; if the row
    /// fails, the blob is removed again, so no failure leaves an orphan that
    /// nothing refers to (a crash between the two can: its key is a file id
    /// no row has).
    #[tracing::instrument(skip_all, fields(owner = %owner, size = upload.bytes.len()))]
    pub async fn upload(
        &self,
        db: &impl ConnectionTrait,
        owner: UserId,
        upload: NewFile,
    ) -> Result<FileView> {
        let config = &self.storage.config;
        if upload.bytes.is_empty() {
            return Err(Error::EmptyFile);
        }
        if upload.bytes.len() > config.max_bytes {
            return Err(Error::FileTooLarge {
                max: config.max_bytes,
            });
        }
        let content_type = match check_type(
            sniff(&upload.bytes),
            upload.declared_type.as_deref(),
            &config.allowed_types,
        ) {
            TypeCheck::Allowed(t) => t,
            TypeCheck::NotAllowed(t) => return Err(Error::TypeNotAllowed(t)),
            TypeCheck::Mismatch { declared, sniffed } => {
                return Err(Error::TypeMismatch { declared, sniffed });
            }
        };
        let sha256 = hex(&Sha256::digest(&upload.bytes));
        let size_bytes = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
        let id = FileId::new();
        let key = BlobKey::for_file(id);
        self.storage.blobs.put(&key, upload.bytes).await?;
        let row = file::ActiveModel {
            id: Set(id),
            owner_id: Set(Some(owner)),
            name: Set(sanitize_name(upload.name.as_deref())),
            content_type: Set(content_type),
            size_bytes: Set(size_bytes),
            storage_key: Set(key.as_str().to_owned()),
            sha256: Set(sha256),
            created_at: Set(self.deps.clock.now()),
        };
        match file::Entity::insert(row).exec_with_returning(db).await {
            Ok(stored) => Ok(view::file(stored)),
            Err(err) => {
                if let Err(cleanup) = self.storage.blobs.delete(&key).await {
                    tracing::error!(%key, error = %cleanup, "an upload's blob outlived its failed row");
                }
                Err(Error::user_reference(err))
            }
        }
    }

    /// The file's bytes, for its owner or a member of a room it was posted in.
    pub async fn download(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        id: FileId,
    ) -> Result<FileDownload> {
        let found = self.visible(db, caller, id).await?;
        self.open(found).await
    }

    /// A link that opens the file without signing in until it expires (the
    /// configured lifetime from now), for whoever may download it.
    pub async fn link(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        id: FileId,
    ) -> Result<FileLink> {
        self.visible(db, caller, id).await?;
        let ttl = chrono::Duration::from_std(self.storage.config.link_ttl)
            .unwrap_or(chrono::Duration::minutes(15));
        // Whole seconds: the link carries Unix seconds.
        let expires = (self.deps.clock.now() + ttl).timestamp();
        let expires_at = DateTime::<Utc>::from_timestamp(expires, 0).unwrap_or_default();
        Ok(FileLink {
            file_id: id,
            expires_at,
            expires,
            signature: self.signer.sign(id, expires),
        })
    }

    /// The file a signed link opens: refused if the signature is not ours
    /// for this file and expiry ([`Error::LinkInvalid`]), or the expiry has
    /// passed ([`Error::LinkExpired`]).
    pub async fn open_link(
        &self,
        db: &impl ConnectionTrait,
        id: FileId,
        expires: i64,
        signature: &str,
    ) -> Result<FileDownload> {
        if !self.signer.verify(id, expires, signature) {
            return Err(Error::LinkInvalid);
        }
        if self.deps.clock.now().timestamp() >= expires {
            return Err(Error::LinkExpired);
        }
        let found = file::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::FileNotFound)?;
        self.open(found).await
    }

    /// The file, if the caller owns it or is in a room where a message
    /// carrying it was posted; [`Error::FileNotFound`] otherwise.
    async fn visible(
        &self,
        db: &impl ConnectionTrait,
        caller: UserId,
        id: FileId,
    ) -> Result<file::Model> {
        let found = file::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::FileNotFound)?;
        if found.owner_id == Some(caller) {
            return Ok(found);
        }
        let my_rooms = Query::select()
            .column(member::Column::RoomId)
            .from(member::Entity)
            .and_where(member::Column::UserId.eq(caller))
            .to_owned();
        let visible = attachment::Entity::find()
            .filter(attachment::Column::FileId.eq(id))
            .inner_join(message::Entity)
            .filter(message::Column::DeletedAt.is_null())
            .filter(message::Column::RoomId.in_subquery(my_rooms))
            .one(db)
            .await?
            .is_some();
        if visible {
            Ok(found)
        } else {
            Err(Error::FileNotFound)
        }
    }

    async fn open(&self, found: file::Model) -> Result<FileDownload> {
        let key = BlobKey::parse(&found.storage_key).ok_or_else(|| {
            Error::Storage(crate::files::BlobError::Io(std::io::Error::other(format!(
                "file {} has a malformed storage key",
                found.id
            ))))
        })?;
        let body = self.storage.blobs.get(&key).await?;
        Ok(FileDownload {
            file: view::attachment(&found),
            body,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
