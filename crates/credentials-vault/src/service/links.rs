//! Links to time tracking's agency clients and projects.
//!
//! The vault does not depend on the time-tracking crate: it checks that a
//! linked client or project belongs to the organization with one existence
//! query on their tables (`agency_clients`, `projects`: `id`, `org_id`,
//! and a project's `client_id`). Why not a kernel port: the check runs on
//! the caller's connection (a port object cannot take the generic
//! `ConnectionTrait` the services use), the vault's own migration already
//! names those tables for its `SET NULL` foreign keys, and those foreign
//! keys are what guards the race with a delete, which a port could not.

use sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use trellis_kernel::id::OrgId;
use uuid::Uuid;

use crate::error::{Error, Result};

/// The client and project a credential is linked to, checked: each belongs
/// to the organization, the project to the client. A project alone links
/// its client too.
pub(crate) async fn check(
    db: &impl ConnectionTrait,
    org: OrgId,
    client: Option<Uuid>,
    project: Option<Uuid>,
) -> Result<(Option<Uuid>, Option<Uuid>)> {
    if let Some(project) = project {
        let row = db
            .query_one(
                Query::select()
                    .column(Alias::new("client_id"))
                    .from(Alias::new("projects"))
                    .and_where(Expr::col(Alias::new("id")).eq(project))
                    .and_where(Expr::col(Alias::new("org_id")).eq(org)),
            )
            .await?;
        let Some(row) = row else {
            return Err(Error::field(
                "project_id",
                "no such project in this organization",
            ));
        };
        let owner: Uuid = row.try_get("", "client_id")?;
        match client {
            Some(c) if c != owner => {
                return Err(Error::field(
                    "project_id",
                    "this project belongs to another client",
                ));
            }
            // The project's client is the organization's: nothing more to check.
            _ => return Ok((Some(owner), Some(project))),
        }
    }
    if let Some(c) = client {
        let found = db
            .query_one(
                Query::select()
                    .expr(Expr::val(1))
                    .from(Alias::new("agency_clients"))
                    .and_where(Expr::col(Alias::new("id")).eq(c))
                    .and_where(Expr::col(Alias::new("org_id")).eq(org)),
            )
            .await?;
        if found.is_none() {
            return Err(Error::field(
                "client_id",
                "no such client in this organization",
            ));
        }
    }
    Ok((client, None))
}
