//! An organization's subscription: the plan in force (what entitlements
//! read), Stripe checkout to subscribe and the portal to change or cancel.

use std::{sync::Arc, time::Duration};

use moka::sync::Cache;
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    sea_query::{Expr, OnConflict},
};
use trellis_kernel::{
    Timestamp,
    id::OrgId,
    ports::{Allowance, Entitlements, Limit, OrgAccess, OrgRole},
};

use super::BillingDeps;
use crate::{
    entities::subscription,
    error::{Error, Result},
    model::{PlanLimitsView, RedirectView, StartCheckout, SubscriptionStatus, SubscriptionView},
    plans::PlanCode,
    stripe::StripeApi,
};

/// How long an organization's plan is remembered. A webhook's change
/// forgets it at once on the instance that received it; other instances
/// see it within this bound, or at once when the gateway shares Redis
/// (it publishes a notice and they call [`SubscriptionService::forget_all`]).
pub const PLAN_CACHE_TTL: Duration = Duration::from_secs(30);

/// Subscriptions and the plan in force.
#[derive(Debug, Clone)]
pub struct SubscriptionService {
    deps: Arc<BillingDeps>,
    plans: Cache<OrgId, PlanCode>,
}

impl SubscriptionService {
    pub(crate) fn new(deps: Arc<BillingDeps>) -> Self {
        Self {
            deps,
            plans: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(PLAN_CACHE_TTL)
                .build(),
        }
    }

    /// The plan in force for `org`: `free` without a subscription that
    /// keeps a paid one.
    pub async fn plan_in_force(
        &self,
        db: &impl ConnectionTrait,
        org: OrgId,
    ) -> Result<PlanCode, DbErr> {
        if let Some(plan) = self.plans.get(&org) {
            return Ok(plan);
        }
        let row = subscription::Entity::find_by_id(org).one(db).await?;
        let plan = row.as_ref().map_or(PlanCode::Free, in_force);
        self.plans.insert(org, plan);
        Ok(plan)
    }

    /// Drops the remembered plan of `org` (after a change).
    pub(crate) fn forget(&self, org: OrgId) {
        self.plans.invalidate(&org);
    }

    /// Drops every remembered plan: another instance applied a webhook, and
    /// its notice does not say for whom (webhooks are rare; each plan costs
    /// one read to learn again).
    pub fn forget_all(&self) {
        self.plans.invalidate_all();
    }

    /// The organization's plan, subscription and limits (members).
    pub async fn view(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
    ) -> Result<SubscriptionView> {
        let org = access.org_id();
        let row = subscription::Entity::find_by_id(org).one(db).await?;
        let plan = row.as_ref().map_or(PlanCode::Free, in_force);
        Ok(SubscriptionView {
            org_id: org,
            plan,
            status: row.as_ref().map_or(SubscriptionStatus::None, status_of),
            current_period_end: row
                .as_ref()
                .and_then(|r| r.current_period_end)
                .map(Timestamp),
            cancel_at_period_end: row.as_ref().is_some_and(|r| r.cancel_at_period_end),
            portal_available: row.as_ref().is_some_and(|r| r.stripe_customer_id.is_some()),
            limits: PlanLimitsView::of(plan),
        })
    }

    /// A Stripe Checkout URL subscribing the organization to `cmd.plan`
    /// (admins). The organization's Stripe customer is made on the first
    /// checkout and kept.
    pub async fn checkout(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        cmd: StartCheckout,
    ) -> Result<RedirectView> {
        access.require(OrgRole::Admin)?;
        let stripe = self.stripe()?;
        let Some(price) = self.deps.catalog.get(cmd.plan).stripe_price_id.clone() else {
            return Err(Error::field(
                "plan",
                format!("the {} plan cannot be bought", cmd.plan),
            ));
        };
        let org = access.org_id();
        let row = subscription::Entity::find_by_id(org).one(db).await?;
        if let Some(row) = &row
            && row.stripe_subscription_id.is_some()
            && status_of(row).keeps_plan()
        {
            return Err(Error::AlreadySubscribed);
        }
        let customer = match row.and_then(|r| r.stripe_customer_id) {
            Some(customer) => customer,
            None => {
                let customer = stripe.create_customer(org).await.map_err(Error::Provider)?;
                self.remember_customer(db, org, &customer).await?;
                customer
            }
        };
        let url = stripe
            .create_checkout(&customer, org, cmd.plan, &price, &self.deps.urls)
            .await
            .map_err(Error::Provider)?;
        Ok(RedirectView { url })
    }

    /// A Stripe customer-portal URL (admins): change the card, the plan, or
    /// cancel. 409 `billing.no_customer` before a first checkout.
    pub async fn portal(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
    ) -> Result<RedirectView> {
        access.require(OrgRole::Admin)?;
        let stripe = self.stripe()?;
        let customer = subscription::Entity::find_by_id(access.org_id())
            .one(db)
            .await?
            .and_then(|r| r.stripe_customer_id)
            .ok_or(Error::NoCustomer)?;
        let url = stripe
            .create_portal(&customer, &self.deps.urls)
            .await
            .map_err(Error::Provider)?;
        Ok(RedirectView { url })
    }

    fn stripe(&self) -> Result<&StripeApi> {
        self.deps.stripe.as_ref().ok_or(Error::NotConfigured)
    }

    /// Keeps the organization's customer id, in one upsert. A second
    /// racing checkout got the same id from Stripe (same idempotency key);
    /// an id already stored is never replaced.
    async fn remember_customer(
        &self,
        db: &impl ConnectionTrait,
        org: OrgId,
        customer: &str,
    ) -> Result<()> {
        let now = self.deps.clock.now();
        subscription::Entity::insert(subscription::ActiveModel {
            org_id: Set(org),
            plan: Set(PlanCode::Free.as_str().to_owned()),
            status: Set(SubscriptionStatus::None.as_str().to_owned()),
            stripe_customer_id: Set(Some(customer.to_owned())),
            stripe_subscription_id: Set(None),
            current_period_end: Set(None),
            cancel_at_period_end: Set(false),
            state_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(subscription::Column::OrgId)
                .value(
                    subscription::Column::StripeCustomerId,
                    Expr::cust(
                        "COALESCE(billing_subscriptions.stripe_customer_id, \
                         excluded.stripe_customer_id)",
                    ),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(())
    }
}

/// The stored status (an unknown one reads as `none`).
pub(crate) fn status_of(row: &subscription::Model) -> SubscriptionStatus {
    SubscriptionStatus::parse(&row.status).unwrap_or(SubscriptionStatus::None)
}

/// The plan a stored subscription keeps in force.
pub(crate) fn in_force(row: &subscription::Model) -> PlanCode {
    if status_of(row).keeps_plan() {
        row.plan.parse().unwrap_or(PlanCode::Free)
    } else {
        PlanCode::Free
    }
}

/// The kernel's [`Entitlements`], answered from the plan in force.
#[derive(Debug, Clone)]
pub struct PlanEntitlements {
    db: DatabaseConnection,
    subscriptions: SubscriptionService,
}

impl PlanEntitlements {
    /// Reads plans through `db`.
    pub fn new(db: DatabaseConnection, subscriptions: SubscriptionService) -> Self {
        Self { db, subscriptions }
    }
}

#[async_trait::async_trait]
impl Entitlements for PlanEntitlements {
    async fn limit(&self, org: OrgId, limit: Limit) -> Result<Allowance, DbErr> {
        let plan = self.subscriptions.plan_in_force(&self.db, org).await?;
        Ok(self.subscriptions.deps.catalog.allowance(plan, limit))
    }
}
