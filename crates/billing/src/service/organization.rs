//! The one place billing reads identity's `organizations` table: an
//! invoice's issuer name, and whether a webhook's organization still exists.

use sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use trellis_kernel::id::OrgId;

use crate::error::Result;

/// The organization's name; `None` when it does not exist (any more).
pub(crate) async fn name(db: &impl ConnectionTrait, org: OrgId) -> Result<Option<String>> {
    let row = db
        .query_one(
            &Query::select()
                .column(Alias::new("name"))
                .from(Alias::new("organizations"))
                .and_where(Expr::col(Alias::new("id")).eq(org))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|r| r.try_get::<String>("", "name")).transpose()?)
}
