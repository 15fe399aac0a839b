//! What the vault asks messaging to tell people: owners hear of
//! credentials due for rotation.
//!
//! [`RotationDueNotices`] subscribes to [`ROTATION_DUE`]: in the event's
//! transaction it requests one `credential_rotation_due` notification per
//! active owner of the organization (kernel's `People` port), naming the
//! most overdue credential, its client (the organization when it has
//! none), a link to it and how many others are due. Facts only: messaging
//! words, renders and delivers it.

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use trellis_kernel::{
    SharedClock,
    id::OrgId,
    notify::{self, CredentialRotationParams, Notice},
    outbox::{Event, HandlerError, Subscriber},
    ports::People,
};
use uuid::Uuid;

use crate::events::{KINDS, ROTATION_DUE, RotationDue};

/// Tells owners about credentials due for rotation.
pub struct RotationDueNotices {
    people: Arc<dyn People>,
    clock: SharedClock,
    app_url: String,
}

impl std::fmt::Debug for RotationDueNotices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotationDueNotices")
            .field("app_url", &self.app_url)
            .finish_non_exhaustive()
    }
}

impl RotationDueNotices {
    /// Links point into the app at `app_url`.
    pub fn new(people: Arc<dyn People>, clock: SharedClock, app_url: impl Into<String>) -> Self {
        Self {
            people,
            clock,
            app_url: app_url.into().trim_end_matches('/').to_string(),
        }
    }
}

/// The `name` of row `id` of `table`, if any.
async fn name_of(
    db: &impl ConnectionTrait,
    table: &str,
    id: Uuid,
) -> Result<Option<String>, sea_orm::DbErr> {
    let row = db
        .query_one(
            Query::select()
                .column(Alias::new("name"))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new("id")).eq(id)),
        )
        .await?;
    row.map(|r| r.try_get::<String>("", "name")).transpose()
}

#[async_trait::async_trait]
impl Subscriber for RotationDueNotices {
    fn name(&self) -> &'static str {
        "vault_rotation_notices"
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Event) -> Result<(), HandlerError> {
        if event.kind != ROTATION_DUE {
            return Err(HandlerError::permanent(format!(
                "the vault does not handle {}",
                event.kind
            )));
        }
        let due: RotationDue = event.payload()?;
        let Some(first) = due.due.first() else {
            return Ok(());
        };
        let transient = |e: sea_orm::DbErr| HandlerError::transient(e);
        let client = match first.client_id {
            Some(client) => name_of(txn, "agency_clients", client)
                .await
                .map_err(transient)?,
            None => None,
        };
        let org: OrgId = due.org_id;
        let client_name = match client {
            Some(name) => name,
            None => name_of(txn, "organizations", org.0)
                .await
                .map_err(transient)?
                .unwrap_or_default(),
        };
        let params = CredentialRotationParams {
            credential_name: first.name.clone(),
            client_name,
            due_on: first.due_at.date_naive(),
            link: format!(
                "{}/orgs/{}/vault/credentials/{}",
                self.app_url, org, first.credential_id.0
            ),
            more: due.total.saturating_sub(1),
        };
        for owner in self.people.org_owners(txn, org).await.map_err(transient)? {
            notify::request(
                txn,
                &self.clock,
                org,
                owner,
                Notice::CredentialRotationDue(params.clone()),
            )
            .await
            .map_err(transient)?;
        }
        Ok(())
    }
}
