//! `billing_stripe_events`: Stripe webhook events already processed.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

/// One processed event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_stripe_events")]
pub struct Model {
    /// Stripe's event id (`evt_...`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its type (`customer.subscription.updated`).
    pub kind: String,
    /// The organization it concerned, when known.
    pub org_id: Option<OrgId>,
    /// `WebhookOutcome` name: what processing it did.
    pub outcome: String,
    /// Stripe's `created` time.
    pub created_at: DateTimeUtc,
    /// When it reached us.
    pub received_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
