//! Invoice numbers: `INV-<year>-<seq>`, per organization and year of
//! issue, without gaps.
//!
//! `invoice_counters` keeps the last number used per (organization, year).
//! [`next`] takes the next one with a single upsert on the invoice's own
//! transaction (`INSERT … ON CONFLICT (org_id, year) DO UPDATE SET last =
//! last + 1 RETURNING last`, PostgreSQL and SQLite ≥ 3.35): the counter row
//! stays locked until that transaction ends, so concurrent creations queue
//! and a rolled-back creation gives its number back. The unique index on
//! `(org_id, number)` makes a duplicate impossible whatever happens here.

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbErr,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};
use trellis_kernel::id::OrgId;

use crate::error::Result;

fn table() -> Alias {
    Alias::new("invoice_counters")
}

/// The next number of `org` in `year`, taken on `txn`.
pub(super) async fn next(txn: &DatabaseTransaction, org: OrgId, year: i32) -> Result<i32> {
    let last = Alias::new("last");
    let stmt = Query::insert()
        .into_table(table())
        .columns([Alias::new("org_id"), Alias::new("year"), last.clone()])
        .values([org.into(), year.into(), 1_i32.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([Alias::new("org_id"), Alias::new("year")])
                .value(last.clone(), Expr::col((table(), last.clone())).add(1))
                .to_owned(),
        )
        .returning_col(last)
        .to_owned();
    let row = txn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("the invoice counter returned no row".into()))?;
    Ok(row.try_get::<i32>("", "last")?)
}

/// Gives number `seq` back when it is the latest of `org` in `year` (a
/// deleted draft): true when it was, and the counter went back by one.
pub(super) async fn give_back(
    txn: &DatabaseTransaction,
    org: OrgId,
    year: i32,
    seq: i32,
) -> Result<bool> {
    let stmt = Query::update()
        .table(table())
        .value(Alias::new("last"), Expr::col(Alias::new("last")).sub(1))
        .and_where(Expr::col(Alias::new("org_id")).eq(org))
        .and_where(Expr::col(Alias::new("year")).eq(year))
        .and_where(Expr::col(Alias::new("last")).eq(seq))
        .to_owned();
    Ok(txn.execute(&stmt).await?.rows_affected() == 1)
}

/// `INV-2026-0001` (more digits past 9999).
pub(super) fn format(year: i32, seq: i32) -> String {
    format!("INV-{year}-{seq:04}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_pad_to_four_digits() {
        assert_eq!(super::format(2026, 1), "INV-2026-0001");
        assert_eq!(super::format(2026, 12_345), "INV-2026-12345");
    }
}
