//! Organizations' data keys, and re-wrapping them under a new master key.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use trellis_kernel::id::OrgId;
use zeroize::Zeroizing;

use super::VaultDeps;
use crate::{
    crypto::{CryptoError, DataKey, Field, SealedFor},
    entities::{credential_version, org_key},
    error::{Error, Result},
    ids::CredentialId,
    model::RotationReport,
};

/// Data keys re-wrapped per transaction by [`KeyService::rotate`].
pub const ROTATION_BATCH: u64 = 100;

/// Logs an integrity failure (never the data) and returns its error.
pub(crate) fn integrity(
    what: &'static str,
    org: OrgId,
    credential: Option<CredentialId>,
    version: Option<i32>,
    err: CryptoError,
) -> Error {
    tracing::error!(
        target: "trellis::vault::integrity",
        org = %org,
        credential = ?credential.map(|c| c.0),
        version,
        error = %err,
        "vault integrity failure: {what}"
    );
    Error::Integrity(err)
}

/// The organization's data key, made (and stored wrapped) on first use.
pub(crate) async fn ensure_org_key(
    db: &impl ConnectionTrait,
    deps: &VaultDeps,
    org: OrgId,
) -> Result<DataKey> {
    let fresh = DataKey::generate();
    let (master_key_id, wrapped) = deps
        .keys
        .wrap(org, &fresh)
        .map_err(|e| integrity("wrapping a new data key", org, None, None, e))?;
    org_key::Entity::insert(org_key::ActiveModel {
        org_id: Set(org),
        master_key_id: Set(master_key_id),
        wrapped_key: Set(wrapped),
        created_at: Set(deps.clock.now()),
        rewrapped_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(org_key::Column::OrgId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    load_org_key(db, deps, org).await
}

/// The organization's data key, unwrapped.
pub(crate) async fn load_org_key(
    db: &impl ConnectionTrait,
    deps: &VaultDeps,
    org: OrgId,
) -> Result<DataKey> {
    let Some(row) = org_key::Entity::find_by_id(org).one(db).await? else {
        return Err(integrity(
            "the organization's data key is missing",
            org,
            None,
            None,
            CryptoError::Integrity,
        ));
    };
    deps.keys
        .unwrap(org, &row.master_key_id, &row.wrapped_key)
        .map_err(|e| integrity("unwrapping the data key", org, None, None, e))
}

/// A version's secret and notes, decrypted.
pub(crate) type Opened = (Zeroizing<Vec<u8>>, Option<Zeroizing<Vec<u8>>>);

/// Decrypts a version row with the organization's data key.
pub(crate) fn open_version(
    key: &DataKey,
    org: OrgId,
    row: &credential_version::Model,
) -> Result<Opened> {
    let at = |field| SealedFor {
        org,
        credential: row.credential_id.0,
        version: row.version,
        field,
    };
    let fail = |e| {
        integrity(
            "decrypting a credential version",
            org,
            Some(row.credential_id),
            Some(row.version),
            e,
        )
    };
    let secret = key
        .open(&at(Field::Secret), &row.secret_ciphertext)
        .map_err(fail)?;
    let notes = row
        .notes_ciphertext
        .as_deref()
        .map(|c| key.open(&at(Field::Notes), c))
        .transpose()
        .map_err(fail)?;
    Ok((secret, notes))
}

/// Encrypts a version's secret and notes.
pub(crate) fn seal_version(
    key: &DataKey,
    org: OrgId,
    credential: CredentialId,
    version: i32,
    secret: &[u8],
    notes: Option<&[u8]>,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let at = |field| SealedFor {
        org,
        credential: credential.0,
        version,
        field,
    };
    let fail = |e| {
        integrity(
            "encrypting a secret",
            org,
            Some(credential),
            Some(version),
            e,
        )
    };
    let secret = key.seal(&at(Field::Secret), secret).map_err(fail)?;
    let notes = notes
        .map(|n| key.seal(&at(Field::Notes), n))
        .transpose()
        .map_err(fail)?;
    Ok((secret, notes))
}

/// Data keys and master-key rotation (staff).
#[derive(Debug, Clone)]
pub struct KeyService {
    deps: Arc<VaultDeps>,
}

impl KeyService {
    pub(crate) fn new(deps: Arc<VaultDeps>) -> Self {
        Self { deps }
    }

    /// The active master key's id.
    pub fn active_key_id(&self) -> &str {
        self.deps.keys.active_id()
    }

    /// Re-wraps every organization's data key still under another master
    /// key of the ring under the active one, `batch` keys per transaction,
    /// for at most `max_batches` batches (all when `None`).
    ///
    /// Safe to interrupt and to run again: a committed batch stays
    /// re-wrapped, and each row is swapped only if it still holds what was
    /// read (two runs never fight over a row). Once `remaining` and
    /// `unknown_key` are 0, the old master keys can leave the environment.
    #[tracing::instrument(skip_all, fields(active = self.deps.keys.active_id()))]
    pub async fn rotate<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        batch: u64,
        max_batches: Option<u32>,
    ) -> Result<RotationReport> {
        let keys = &self.deps.keys;
        let old: Vec<String> = keys.ids().skip(1).map(String::from).collect();
        let mut rewrapped = 0;
        let mut batches = 0;
        let mut after: Option<OrgId> = None;
        while !old.is_empty() && max_batches.is_none_or(|max| batches < max) {
            // Read outside the transaction, so it only writes.
            let mut select =
                org_key::Entity::find().filter(org_key::Column::MasterKeyId.is_in(old.clone()));
            if let Some(last) = after {
                select = select.filter(org_key::Column::OrgId.gt(last));
            }
            let rows = select
                .order_by_asc(org_key::Column::OrgId)
                .limit(batch.max(1))
                .all(db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.org_id);
            let now = self.deps.clock.now();
            let txn = db.begin_write().await?;
            for row in &rows {
                let data_key = keys
                    .unwrap(row.org_id, &row.master_key_id, &row.wrapped_key)
                    .map_err(|e| integrity("unwrapping for rotation", row.org_id, None, None, e))?;
                let (master_key_id, wrapped) = keys.wrap(row.org_id, &data_key).map_err(|e| {
                    integrity("re-wrapping for rotation", row.org_id, None, None, e)
                })?;
                let swapped = org_key::Entity::update_many()
                    .col_expr(org_key::Column::MasterKeyId, Expr::value(master_key_id))
                    .col_expr(org_key::Column::WrappedKey, Expr::value(wrapped))
                    .col_expr(org_key::Column::RewrappedAt, Expr::value(now))
                    .filter(org_key::Column::OrgId.eq(row.org_id))
                    .filter(org_key::Column::MasterKeyId.eq(row.master_key_id.clone()))
                    .filter(org_key::Column::WrappedKey.eq(row.wrapped_key.clone()))
                    .exec(&txn)
                    .await?;
                rewrapped += swapped.rows_affected;
            }
            txn.commit().await?;
            batches += 1;
            tracing::info!(batch = batches, keys = rows.len(), "data keys re-wrapped");
        }
        let remaining = if old.is_empty() {
            0
        } else {
            org_key::Entity::find()
                .filter(org_key::Column::MasterKeyId.is_in(old))
                .count(db)
                .await?
        };
        let unknown_key = org_key::Entity::find()
            .filter(org_key::Column::MasterKeyId.is_not_in(keys.ids().map(String::from)))
            .count(db)
            .await?;
        Ok(RotationReport {
            active_key_id: keys.active_id().to_string(),
            rewrapped,
            remaining,
            unknown_key,
        })
    }
}
