//! The daily overdue pass: sent invoices past their due date become
//! `overdue`, and each client hears `invoice_overdue` once (the status
//! change and the notification commit together, and only a `sent`
//! invoice is picked, so a second run finds nothing to tell).

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use trellis_kernel::db::WriteTransaction;

use super::InvoiceService;
use crate::{entities::invoice, error::Result, model::InvoiceStatus};

/// The most invoices one run marks (the next run takes the rest).
pub const OVERDUE_BATCH: u64 = 1_000;

impl InvoiceService {
    /// Marks sent invoices whose due date is before today (UTC) overdue and
    /// requests `invoice_overdue` to each client: how many were marked.
    #[tracing::instrument(skip_all)]
    pub async fn mark_overdue(&self, db: &DatabaseConnection) -> Result<u64> {
        let now = self.deps.clock.now();
        let today = now.date_naive();
        let due: Vec<invoice::Model> = invoice::Entity::find()
            .filter(invoice::Column::Status.eq(InvoiceStatus::Sent))
            .filter(invoice::Column::DueDate.lt(today))
            .order_by_asc(invoice::Column::DueDate)
            .order_by_asc(invoice::Column::Id)
            .limit(OVERDUE_BATCH)
            .all(db)
            .await?;
        let mut marked = 0;
        for row in due {
            let txn = db.begin_write().await?;
            let updated = invoice::Entity::update_many()
                .col_expr(invoice::Column::Status, Expr::value(InvoiceStatus::Overdue))
                .col_expr(invoice::Column::OverdueAt, Expr::value(now))
                .col_expr(invoice::Column::UpdatedAt, Expr::value(now))
                .filter(invoice::Column::Id.eq(row.id))
                .filter(invoice::Column::Status.eq(InvoiceStatus::Sent))
                .exec_with_returning(&txn)
                .await?;
            let Some(row) = updated.into_iter().next() else {
                continue; // paid or voided meanwhile
            };
            self.tell_client(&txn, &row, true).await?;
            txn.commit().await?;
            marked += 1;
        }
        if marked > 0 {
            tracing::info!(marked, "invoices overdue");
        }
        Ok(marked)
    }
}
