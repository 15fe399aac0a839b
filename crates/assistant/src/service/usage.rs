//! Tokens used, per UTC month, summed by SQL.

use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use trellis_kernel::id::UserId;

use super::AssistantDeps;
use crate::{
    entities::usage,
    error::Result,
    model::{MonthUsage, UsageView},
};

/// Usage. 503 while no language model is configured.
#[derive(Debug, Clone)]
pub struct UsageService {
    deps: Arc<AssistantDeps>,
}

#[derive(FromQueryResult)]
struct MonthRow {
    month: String,
    responses: i64,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    total_tokens: Option<i64>,
}

impl UsageService {
    pub(crate) fn new(deps: Arc<AssistantDeps>) -> Self {
        Self { deps }
    }

    /// The caller's tokens by month, newest first.
    pub async fn by_month(&self, db: &impl ConnectionTrait, caller: UserId) -> Result<UsageView> {
        self.deps.ready()?;
        let rows = usage::Entity::find()
            .select_only()
            .column(usage::Column::Month)
            .column_as(Expr::cust("COUNT(*)"), "responses")
            // PostgreSQL sums bigints as numeric: cast back.
            .column_as(
                Expr::cust("CAST(SUM(prompt_tokens) AS BIGINT)"),
                "prompt_tokens",
            )
            .column_as(
                Expr::cust("CAST(SUM(completion_tokens) AS BIGINT)"),
                "completion_tokens",
            )
            .column_as(
                Expr::cust("CAST(SUM(total_tokens) AS BIGINT)"),
                "total_tokens",
            )
            .filter(usage::Column::UserId.eq(caller))
            .group_by(usage::Column::Month)
            .order_by_desc(usage::Column::Month)
            .into_model::<MonthRow>()
            .all(db)
            .await?;
        let count = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
        Ok(UsageView {
            months: rows
                .into_iter()
                .map(|r| MonthUsage {
                    month: r.month,
                    responses: count(Some(r.responses)),
                    prompt_tokens: count(r.prompt_tokens),
                    completion_tokens: count(r.completion_tokens),
                    total_tokens: count(r.total_tokens),
                })
                .collect(),
        })
    }
}
