//! Reveals: the one way a secret leaves the vault, audited.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait, sea_query::Expr,
};
use trellis_kernel::{
    Page, PageRequest,
    ports::{OrgAccess, OrgRole},
};

use super::{VaultDeps, after, credentials::credential_row, keys, require_admin};
use crate::{
    crypto::CryptoError,
    entities::{credential, credential_grant, credential_reveal, credential_version},
    error::{Error, Result},
    ids::{CredentialId, RevealId},
    model::{RevealContext, RevealView, RevealedSecret},
    view,
};

/// Reveals and their audit trail.
#[derive(Debug, Clone)]
pub struct RevealService {
    deps: Arc<VaultDeps>,
}

impl RevealService {
    pub(crate) fn new(deps: Arc<VaultDeps>) -> Self {
        Self { deps }
    }

    /// A credential's secret and notes: the current version, or `version`
    /// (admins only for an older one). Owners and admins may reveal any
    /// credential, members only one they hold a grant on (403
    /// `credential.reveal_forbidden`). The audit row (who, when, which
    /// version, from where) is written in the transaction that reads the
    /// secret: no secret leaves without its row committed.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), credential = %id.0, user = %access.user_id()))]
    pub async fn reveal<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        id: CredentialId,
        version: Option<i32>,
        context: RevealContext,
    ) -> Result<RevealedSecret> {
        let org = access.org_id();
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        // Write first (stamps the credential and locks its row).
        let row = credential::Entity::update_many()
            .col_expr(credential::Column::LastRevealedAt, Expr::value(now))
            .filter(credential::Column::Id.eq(id))
            .filter(credential::Column::OrgId.eq(org))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound)?;
        let admin = access.at_least(OrgRole::Admin);
        if !admin {
            let granted = credential_grant::Entity::find_by_id((id, access.user_id()))
                .one(&txn)
                .await?
                .is_some();
            if !granted {
                return Err(Error::RevealForbidden);
            }
        }
        let version = version.unwrap_or(row.current_version);
        if version != row.current_version && !admin {
            return Err(Error::OlderVersionForbidden);
        }
        let stored = credential_version::Entity::find_by_id((id, version))
            .one(&txn)
            .await?
            .ok_or(Error::VersionNotFound)?;
        let key = keys::load_org_key(&txn, &self.deps, org).await?;
        let (secret, notes) = keys::open_version(&key, org, &stored)?;
        let text = |bytes: &[u8]| {
            std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
                keys::integrity(
                    "a decrypted secret is not text",
                    org,
                    Some(id),
                    Some(version),
                    CryptoError::Integrity,
                )
            })
        };
        let revealed = RevealedSecret {
            credential_id: id,
            version,
            secret: text(&secret)?,
            notes: notes.as_deref().map(|n| text(n)).transpose()?,
            revealed_at: now.into(),
        };
        credential_reveal::ActiveModel {
            id: Set(RevealId::new()),
            org_id: Set(org),
            credential_id: Set(id),
            version: Set(version),
            user_id: Set(access.user_id()),
            ip: Set(context.ip.map(|ip| ip.chars().take(64).collect())),
            user_agent: Set(context.user_agent.map(|ua| ua.chars().take(512).collect())),
            revealed_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(version, "credential revealed");
        Ok(revealed)
    }

    /// A credential's reveals, newest first (admins).
    pub async fn audit(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
        page: &PageRequest,
    ) -> Result<Page<RevealView>> {
        require_admin(access)?;
        credential_row(db, access, id).await?;
        let mut select = credential_reveal::Entity::find()
            .filter(credential_reveal::Column::CredentialId.eq(id))
            .filter(credential_reveal::Column::OrgId.eq(access.org_id()));
        if let Some(last) = after::<RevealId>(page)? {
            select = select.filter(credential_reveal::Column::Id.lt(last));
        }
        let rows = select
            .order_by_desc(credential_reveal::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |r| r.id, view::reveal))
    }
}
