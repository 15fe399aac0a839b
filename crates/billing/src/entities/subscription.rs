//! `billing_subscriptions`: the plan an organization is on through Stripe.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

/// An organization's subscription state, as Stripe last told it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_subscriptions")]
pub struct Model {
    /// Whose.
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    /// `PlanCode` name.
    pub plan: String,
    /// `SubscriptionStatus` name.
    pub status: String,
    /// The Stripe customer, made once per organization.
    pub stripe_customer_id: Option<String>,
    /// The Stripe subscription.
    pub stripe_subscription_id: Option<String>,
    /// The end of the paid period.
    pub current_period_end: Option<DateTimeUtc>,
    /// Whether it ends at the end of the period.
    pub cancel_at_period_end: bool,
    /// Stripe's `created` time of the newest event applied.
    pub state_at: Option<DateTimeUtc>,
    /// First written.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
