//! Credentials: their metadata, and new versions of their secret.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use trellis_kernel::{
    Page, PageRequest,
    ports::{Limit, OrgAccess},
};
use validator::Validate;
use zeroize::Zeroizing;

use super::{
    VaultDeps, after, check_secret, keys, links, optional_text, require_admin, rotate_after, tags,
    text,
};
use crate::{
    entities::{credential, credential_version},
    error::{Error, Result},
    ids::CredentialId,
    model::{
        CreateCredential, CredentialFilter, CredentialVersionView, CredentialView, UpdateCredential,
    },
    view,
};

/// The row of one of the organization's credentials.
pub(crate) async fn credential_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    id: CredentialId,
) -> Result<credential::Model> {
    credential::Entity::find_by_id(id)
        .filter(credential::Column::OrgId.eq(access.org_id()))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

fn due_at(last_rotated_at: DateTime<Utc>, days: Option<i32>) -> Option<DateTime<Utc>> {
    days.map(|d| last_rotated_at + Duration::days(i64::from(d)))
}

/// `%text%` for LIKE, its wildcards escaped, in lower case.
fn contains(text: &str) -> LikeExpr {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// Credentials: metadata for members, changes for admins.
#[derive(Debug, Clone)]
pub struct CredentialService {
    deps: Arc<VaultDeps>,
}

impl CredentialService {
    pub(crate) fn new(deps: Arc<VaultDeps>) -> Self {
        Self { deps }
    }

    /// Stores a credential (admins): its secret and notes encrypted as
    /// version 1 under the organization's data key (made on first use).
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn create<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        cmd: CreateCredential,
    ) -> Result<CredentialView> {
        require_admin(access)?;
        cmd.validate()?;
        let org = access.org_id();
        let name = text("name", &cmd.name, 200)?;
        let username = optional_text("username", cmd.username.as_deref(), 200)?;
        let url = optional_text("url", cmd.url.as_deref(), 2000)?;
        let tags = tags(&cmd.tags)?;
        let rotate_after_days = rotate_after(cmd.rotate_after_days)?;
        check_secret("secret", &cmd.secret, true)?;
        let notes = cmd.notes.as_deref().filter(|n| !n.trim().is_empty());
        let (client_id, project_id) = links::check(db, org, cmd.client_id, cmd.project_id).await?;
        let held = credential::Entity::find()
            .filter(credential::Column::OrgId.eq(org))
            .count(db);
        self.deps
            .entitlements
            .limit(org, Limit::VaultCredentials)
            .await?
            .admits_counted(async { Ok::<_, Error>(held.await?) })
            .await?;
        let key = keys::ensure_org_key(db, &self.deps, org).await?;

        let id = CredentialId::new();
        let (secret, notes) = keys::seal_version(
            &key,
            org,
            id,
            1,
            cmd.secret.as_bytes(),
            notes.map(str::as_bytes),
        )?;
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let row = credential::ActiveModel {
            id: Set(id),
            org_id: Set(org),
            client_id: Set(client_id),
            project_id: Set(project_id),
            name: Set(name),
            kind: Set(cmd.kind),
            username: Set(username),
            url: Set(url),
            tags: Set(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into())),
            current_version: Set(1),
            rotate_after_days: Set(rotate_after_days),
            last_rotated_at: Set(now),
            rotation_due_at: Set(due_at(now, rotate_after_days)),
            last_revealed_at: Set(None),
            created_by: Set(access.user_id()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(Error::link_gone)?;
        credential_version::ActiveModel {
            credential_id: Set(id),
            version: Set(1),
            org_id: Set(org),
            secret_ciphertext: Set(secret),
            notes_ciphertext: Set(notes),
            created_by: Set(access.user_id()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(credential = %id.0, "credential stored");
        Ok(view::credential(row))
    }

    /// One credential's metadata (members).
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
    ) -> Result<CredentialView> {
        Ok(view::credential(credential_row(db, access, id).await?))
    }

    /// Credentials' metadata, oldest first (members), filtered.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        filter: CredentialFilter,
        page: &PageRequest,
    ) -> Result<Page<CredentialView>> {
        use credential::Column as C;
        let mut select = credential::Entity::find().filter(C::OrgId.eq(access.org_id()));
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let like = contains(q);
            select = select.filter(
                Expr::expr(Func::lower(Expr::col(C::Name)))
                    .like(like.clone())
                    .or(Expr::expr(Func::lower(Expr::col(C::Username))).like(like.clone()))
                    .or(Expr::expr(Func::lower(Expr::col(C::Url))).like(like)),
            );
        }
        if let Some(kind) = filter.kind {
            select = select.filter(C::Kind.eq(kind));
        }
        if let Some(tag) = filter.tag.as_deref().map(str::trim) {
            // Tags are a JSON array of strings without quotes or backslashes.
            let json = serde_json::to_string(tag).unwrap_or_default();
            select = select.filter(Expr::col(C::Tags).like(contains_exact(&json)));
        }
        if let Some(client) = filter.client_id {
            select = select.filter(C::ClientId.eq(client));
        }
        if let Some(project) = filter.project_id {
            select = select.filter(C::ProjectId.eq(project));
        }
        match filter.rotation_due {
            Some(true) => {
                select = select.filter(C::RotationDueAt.lte(self.deps.clock.now()));
            }
            Some(false) => {
                select = select.filter(
                    C::RotationDueAt
                        .is_null()
                        .or(C::RotationDueAt.gt(self.deps.clock.now())),
                );
            }
            None => {}
        }
        if let Some(last) = after::<CredentialId>(page)? {
            select = select.filter(C::Id.gt(last));
        }
        let rows = select
            .order_by_asc(C::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |c| c.id, view::credential))
    }

    /// Changes a credential (admins). A new `secret` or new `notes` make a
    /// new version (the old one is kept, its ciphertext untouched); a new
    /// secret also restarts the rotation clock.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), credential = %id.0))]
    pub async fn update<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        id: CredentialId,
        cmd: UpdateCredential,
    ) -> Result<CredentialView> {
        use credential::Column as Col;
        require_admin(access)?;
        let org = access.org_id();
        let name = cmd
            .name
            .as_deref()
            .map(|n| text("name", n, 200))
            .transpose()?;
        let tags = cmd.tags.as_deref().map(tags).transpose()?;
        if let Some(secret) = &cmd.secret {
            check_secret("secret", secret, true)?;
        }
        if let Some(notes) = cmd.notes.value() {
            check_secret("notes", notes, false)?;
        }
        let row = credential_row(db, access, id).await?;
        let mut username = row.username.clone();
        cmd.username.clone().update_to(&mut username);
        let username = optional_text("username", username.as_deref(), 200)?;
        let mut url = row.url.clone();
        cmd.url.clone().update_to(&mut url);
        let url = optional_text("url", url.as_deref(), 2000)?;
        let mut rotate_after_days = row.rotate_after_days;
        cmd.rotate_after_days.update_to(&mut rotate_after_days);
        let rotate_after_days = rotate_after(rotate_after_days)?;
        let (mut client_id, mut project_id) = (row.client_id, row.project_id);
        let relink = !cmd.client_id.is_undefined() || !cmd.project_id.is_undefined();
        cmd.client_id.update_to(&mut client_id);
        cmd.project_id.update_to(&mut project_id);
        if cmd.client_id.is_null() && cmd.project_id.is_undefined() {
            // Unlinking the client unlinks its project too.
            project_id = None;
        }
        if relink {
            (client_id, project_id) = links::check(db, org, client_id, project_id).await?;
        }

        let new_version = cmd.secret.is_some() || !cmd.notes.is_undefined();
        let now = self.deps.clock.now();
        let last_rotated_at = if cmd.secret.is_some() {
            now
        } else {
            row.last_rotated_at
        };
        let txn = db.begin_write().await?;
        // Write first: the version number is taken atomically.
        let updated = credential::Entity::update_many()
            .col_expr(Col::Name, Expr::value(name.unwrap_or(row.name)))
            .col_expr(Col::Kind, Expr::value(cmd.kind.unwrap_or(row.kind)))
            .col_expr(Col::Username, Expr::value(username))
            .col_expr(Col::Url, Expr::value(url))
            .col_expr(
                Col::Tags,
                Expr::value(match tags {
                    Some(tags) => serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
                    None => row.tags,
                }),
            )
            .col_expr(Col::ClientId, Expr::value(client_id))
            .col_expr(Col::ProjectId, Expr::value(project_id))
            .col_expr(Col::RotateAfterDays, Expr::value(rotate_after_days))
            .col_expr(Col::LastRotatedAt, Expr::value(last_rotated_at))
            .col_expr(
                Col::RotationDueAt,
                Expr::value(due_at(last_rotated_at, rotate_after_days)),
            )
            .col_expr(
                Col::CurrentVersion,
                Expr::col(Col::CurrentVersion).add(i32::from(new_version)),
            )
            .col_expr(Col::UpdatedAt, Expr::value(now))
            .filter(Col::Id.eq(id))
            .filter(Col::OrgId.eq(org))
            .exec_with_returning(&txn)
            .await
            .map_err(Error::link_gone)?
            .into_iter()
            .next()
            .ok_or(Error::NotFound)?;
        if new_version {
            let version = updated.current_version;
            let key = keys::load_org_key(&txn, &self.deps, org).await?;
            let previous = credential_version::Entity::find_by_id((id, version - 1))
                .one(&txn)
                .await?
                .ok_or(Error::VersionNotFound)?;
            let (old_secret, old_notes) = keys::open_version(&key, org, &previous)?;
            let secret: Zeroizing<Vec<u8>> = match &cmd.secret {
                Some(s) => Zeroizing::new(s.as_bytes().to_vec()),
                None => old_secret,
            };
            let notes: Option<Zeroizing<Vec<u8>>> = match cmd.notes.value() {
                _ if cmd.notes.is_undefined() => old_notes,
                Some(n) if !n.trim().is_empty() => Some(Zeroizing::new(n.as_bytes().to_vec())),
                _ => None,
            };
            let (secret, notes) = keys::seal_version(
                &key,
                org,
                id,
                version,
                &secret,
                notes.as_deref().map(|n| &n[..]),
            )?;
            credential_version::ActiveModel {
                credential_id: Set(id),
                version: Set(version),
                org_id: Set(org),
                secret_ciphertext: Set(secret),
                notes_ciphertext: Set(notes),
                created_by: Set(access.user_id()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            tracing::info!(version, "credential version added");
        }
        txn.commit().await?;
        Ok(view::credential(updated))
    }

    /// Deletes a credential and every version and grant (admins). Its
    /// audit trail stays.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), credential = %id.0))]
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
    ) -> Result<()> {
        require_admin(access)?;
        let deleted = credential::Entity::delete_many()
            .filter(credential::Column::Id.eq(id))
            .filter(credential::Column::OrgId.eq(access.org_id()))
            .exec(db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Every version of a credential's secret, newest first (admins):
    /// who set it and when, never what.
    pub async fn versions(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: CredentialId,
    ) -> Result<Vec<CredentialVersionView>> {
        require_admin(access)?;
        let row = credential_row(db, access, id).await?;
        let versions = credential_version::Entity::find()
            .filter(credential_version::Column::CredentialId.eq(id))
            .order_by_desc(credential_version::Column::Version)
            .all(db)
            .await?;
        Ok(versions
            .into_iter()
            .map(|v| view::version(v, row.current_version))
            .collect())
    }
}

/// `%text%` for LIKE, case kept, wildcards escaped.
fn contains_exact(text: &str) -> LikeExpr {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

impl CredentialService {
    /// Records one [`ROTATION_DUE`](crate::events::ROTATION_DUE) event per
    /// organization with credentials past their rotation date (the daily
    /// job): how many organizations and credentials.
    #[tracing::instrument(skip_all)]
    pub async fn record_rotation_due(&self, db: &impl ConnectionTrait) -> Result<(u64, u64)> {
        use std::collections::BTreeMap;

        use trellis_kernel::outbox::{self, NewEvent};

        use crate::events::{DueCredential, MAX_NAMED, ROTATION_DUE, RotationDue};

        let rows = credential::Entity::find()
            .filter(credential::Column::RotationDueAt.lte(self.deps.clock.now()))
            .order_by_asc(credential::Column::RotationDueAt)
            .order_by_asc(credential::Column::Id)
            .all(db)
            .await?;
        let total = rows.len() as u64;
        let mut by_org: BTreeMap<_, Vec<credential::Model>> = BTreeMap::new();
        for row in rows {
            by_org.entry(row.org_id).or_default().push(row);
        }
        let orgs = by_org.len() as u64;
        for (org, rows) in by_org {
            let payload = RotationDue {
                org_id: org,
                total: u32::try_from(rows.len()).unwrap_or(u32::MAX),
                due: rows
                    .into_iter()
                    .take(MAX_NAMED)
                    .filter_map(|c| {
                        Some(DueCredential {
                            credential_id: c.id,
                            name: c.name,
                            client_id: c.client_id,
                            due_at: c.rotation_due_at?,
                        })
                    })
                    .collect(),
            };
            outbox::record(
                db,
                &self.deps.clock,
                NewEvent::new(ROTATION_DUE, org, &payload)?,
            )
            .await?;
        }
        Ok((orgs, total))
    }
}
