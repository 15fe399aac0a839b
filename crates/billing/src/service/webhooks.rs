//! Stripe's webhooks: verified, processed once, in order.
//!
//! - The raw body must carry a valid `Stripe-Signature` (see
//!   [`signature`](crate::stripe::signature)); anything else is 400 and
//!   changes nothing.
//! - Each event id is claimed by a `billing_stripe_events` row in the
//!   transaction of its effect, so Stripe's retries and replays (and two
//!   deliveries racing) apply it once.
//! - A subscription remembers the Stripe `created` time of the newest event
//!   applied to it; an older event arriving later is recorded as `stale`
//!   and changes nothing.
//! - What owners must hear (`subscription_started`, `payment_failed`...) is
//!   a notification request in the same transaction.

use std::sync::Arc;

use chrono::{DateTime, Months, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait, sea_query::OnConflict,
};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use trellis_kernel::{
    db::WriteTransaction,
    id::OrgId,
    notify::{self, Money, Notice, PaymentParams, SubscriptionParams},
    types::Currency,
};

use super::{
    BillingDeps, SubscriptionService, organization,
    subscriptions::{in_force, status_of},
};
use crate::{
    entities::{stripe_event, subscription},
    error::{Error, Result},
    model::{SubscriptionStatus, WebhookOutcome, WebhookReceipt},
    plans::PlanCode,
    stripe::{event, signature},
};

/// Receives Stripe's webhooks.
#[derive(Debug, Clone)]
pub struct WebhookService {
    deps: Arc<BillingDeps>,
    subscriptions: SubscriptionService,
}

/// What an event asks of a subscription.
enum Change {
    /// Subscribed through checkout.
    Started {
        plan: PlanCode,
        customer: Option<String>,
        subscription: Option<String>,
    },
    /// Stripe's view of the subscription now.
    Updated {
        subscription: String,
        customer: String,
        plan: Option<PlanCode>,
        status: SubscriptionStatus,
        period_end: Option<DateTime<Utc>>,
        cancel_at_period_end: bool,
    },
    /// Ended: back on free.
    Deleted { period_end: Option<DateTime<Utc>> },
    /// A renewal failed: past due.
    PaymentFailed { amount: Money },
    /// A renewal went through.
    PaymentSucceeded { amount: Money },
}

impl WebhookService {
    pub(crate) fn new(deps: Arc<BillingDeps>, subscriptions: SubscriptionService) -> Self {
        Self {
            deps,
            subscriptions,
        }
    }

    /// Verifies, claims and applies one delivery.
    pub async fn receive<C: TransactionTrait<Transaction = DatabaseTransaction>>(
        &self,
        db: &C,
        payload: &[u8],
        signature_header: Option<&str>,
    ) -> Result<WebhookReceipt> {
        let secret = self
            .deps
            .webhook_secret
            .as_ref()
            .ok_or(Error::NotConfigured)?;
        let now = self.deps.clock.now();
        signature::verify(
            payload,
            signature_header,
            secret.expose_secret().as_bytes(),
            now.timestamp(),
        )?;
        let envelope: event::Envelope =
            serde_json::from_slice(payload).map_err(|e| Error::MalformedEvent(e.to_string()))?;
        let created = DateTime::from_timestamp(envelope.created, 0)
            .ok_or_else(|| Error::MalformedEvent("`created` is out of range".into()))?;
        let receipt = |outcome| WebhookReceipt {
            event_id: envelope.id.clone(),
            outcome,
        };

        let txn = db.begin_write().await?;
        let claimed = stripe_event::Entity::insert(stripe_event::ActiveModel {
            id: Set(envelope.id.clone()),
            kind: Set(envelope.kind.clone()),
            org_id: Set(None),
            outcome: Set(WebhookOutcome::Applied.as_str().to_owned()),
            created_at: Set(created),
            received_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(stripe_event::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if claimed == 0 {
            return Ok(receipt(WebhookOutcome::Duplicate));
        }
        let (outcome, org) = match self.change_of(&txn, &envelope).await? {
            Some((org, change)) => (self.apply(&txn, org, created, change).await?, Some(org)),
            None => (WebhookOutcome::Ignored, None),
        };
        stripe_event::Entity::update_many()
            .col_expr(
                stripe_event::Column::Outcome,
                sea_orm::sea_query::Expr::value(outcome.as_str()),
            )
            .col_expr(
                stripe_event::Column::OrgId,
                sea_orm::sea_query::Expr::value(org),
            )
            .filter(stripe_event::Column::Id.eq(&envelope.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if let Some(org) = org {
            self.subscriptions.forget(org);
        }
        tracing::info!(event = %envelope.id, kind = %envelope.kind, outcome = outcome.as_str(), "stripe webhook");
        Ok(receipt(outcome))
    }

    /// The organization an event concerns and what it asks; `None` for
    /// events billing does not act on or organizations it does not know.
    async fn change_of(
        &self,
        txn: &DatabaseTransaction,
        envelope: &event::Envelope,
    ) -> Result<Option<(OrgId, Change)>> {
        let currency = |code: &str| {
            Currency::parse(code).map_err(|e| Error::MalformedEvent(format!("currency: {e}")))
        };
        let found = match envelope.kind.as_str() {
            "checkout.session.completed" => {
                let session: event::CheckoutSession = object(envelope)?;
                let org = session
                    .metadata
                    .get("org_id")
                    .or(session.client_reference_id.as_ref())
                    .and_then(|id| id.parse::<OrgId>().ok());
                let plan = session.metadata.get("plan").and_then(|p| p.parse().ok());
                match (org, plan) {
                    (Some(org), Some(plan)) if self.org_exists(txn, org).await? => Some((
                        org,
                        Change::Started {
                            plan,
                            customer: session.customer.map(|c| c.id().to_owned()),
                            subscription: session.subscription.map(|s| s.id().to_owned()),
                        },
                    )),
                    _ => None,
                }
            }
            "customer.subscription.updated" | "customer.subscription.deleted" => {
                let sub: event::Subscription = object(envelope)?;
                let org = match sub.metadata.get("org_id").and_then(|id| id.parse().ok()) {
                    Some(org) if self.org_exists(txn, org).await? => Some(org),
                    _ => self.org_of_customer(txn, sub.customer.id()).await?,
                };
                let period_end = sub
                    .period_end()
                    .and_then(|t| DateTime::from_timestamp(t, 0));
                let change = if envelope.kind.ends_with("deleted") {
                    Change::Deleted { period_end }
                } else {
                    let status = SubscriptionStatus::parse(&sub.status).ok_or_else(|| {
                        Error::MalformedEvent(format!("unknown status {:?}", sub.status))
                    })?;
                    let plan = sub
                        .price_id()
                        .and_then(|p| self.deps.catalog.by_price_id(p));
                    if plan.is_none() {
                        tracing::warn!(subscription = %sub.id, price = ?sub.price_id(), "subscription sells a price no plan has: the plan is kept");
                    }
                    Change::Updated {
                        subscription: sub.id.clone(),
                        customer: sub.customer.id().to_owned(),
                        plan,
                        status,
                        period_end,
                        cancel_at_period_end: sub.cancel_at_period_end,
                    }
                };
                org.map(|org| (org, change))
            }
            "invoice.payment_failed" | "invoice.payment_succeeded" => {
                let invoice: event::Invoice = object(envelope)?;
                let org = self.org_of_customer(txn, invoice.customer.id()).await?;
                let currency = currency(&invoice.currency)?;
                let change = if envelope.kind.ends_with("failed") {
                    Change::PaymentFailed {
                        amount: Money {
                            amount_minor: invoice.amount_due,
                            currency,
                        },
                    }
                } else {
                    Change::PaymentSucceeded {
                        amount: Money {
                            amount_minor: invoice.amount_paid,
                            currency,
                        },
                    }
                };
                org.map(|org| (org, change))
            }
            _ => None,
        };
        Ok(found)
    }

    /// Applies `change` unless a newer event already set the state.
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        org: OrgId,
        created: DateTime<Utc>,
        change: Change,
    ) -> Result<WebhookOutcome> {
        let now = self.deps.clock.now();
        let existing = subscription::Entity::find_by_id(org).one(txn).await?;
        if existing
            .as_ref()
            .and_then(|r| r.state_at)
            .is_some_and(|newest| created < newest)
        {
            return Ok(WebhookOutcome::Stale);
        }
        let before = existing.as_ref().map_or(PlanCode::Free, in_force);
        let subscribed: PlanCode = existing
            .as_ref()
            .and_then(|r| r.plan.parse().ok())
            .unwrap_or(PlanCode::Free);
        let was_past_due = existing
            .as_ref()
            .is_some_and(|r| status_of(r) == SubscriptionStatus::PastDue);
        let is_new = existing.is_none();
        let mut row = match existing {
            Some(row) => row.into_active_model(),
            None => subscription::ActiveModel {
                org_id: Set(org),
                plan: Set(PlanCode::Free.as_str().to_owned()),
                status: Set(SubscriptionStatus::None.as_str().to_owned()),
                stripe_customer_id: Set(None),
                stripe_subscription_id: Set(None),
                current_period_end: Set(None),
                cancel_at_period_end: Set(false),
                state_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            },
        };
        let notice = match change {
            Change::Started {
                plan,
                customer,
                subscription,
            } => {
                row.plan = Set(plan.as_str().to_owned());
                row.status = Set(SubscriptionStatus::Active.as_str().to_owned());
                if let Some(customer) = customer {
                    row.stripe_customer_id = Set(Some(customer));
                }
                row.stripe_subscription_id = Set(subscription);
                row.cancel_at_period_end = Set(false);
                let until = created
                    .checked_add_months(Months::new(1))
                    .unwrap_or(created);
                Some(Notice::SubscriptionStarted(
                    self.subscription_params(plan, until),
                ))
            }
            Change::Updated {
                subscription,
                customer,
                plan,
                status,
                period_end,
                cancel_at_period_end,
            } => {
                if let Some(plan) = plan {
                    row.plan = Set(plan.as_str().to_owned());
                }
                row.status = Set(status.as_str().to_owned());
                row.stripe_subscription_id = Set(Some(subscription));
                row.stripe_customer_id = Set(Some(customer));
                row.current_period_end = Set(period_end);
                row.cancel_at_period_end = Set(cancel_at_period_end);
                None
            }
            Change::Deleted { period_end } => {
                row.plan = Set(PlanCode::Free.as_str().to_owned());
                row.status = Set(SubscriptionStatus::Canceled.as_str().to_owned());
                row.stripe_subscription_id = Set(None);
                row.current_period_end = Set(None);
                row.cancel_at_period_end = Set(false);
                let until = period_end.unwrap_or(created);
                Some(Notice::SubscriptionCancelled(
                    self.subscription_params(subscribed, until),
                ))
            }
            Change::PaymentFailed { amount } => {
                row.status = Set(SubscriptionStatus::PastDue.as_str().to_owned());
                Some(Notice::PaymentFailed(PaymentParams {
                    plan_name: before.display_name().to_owned(),
                    amount,
                    at: created,
                    billing_link: self.deps.urls.portal.clone(),
                }))
            }
            Change::PaymentSucceeded { amount } => {
                if was_past_due {
                    row.status = Set(SubscriptionStatus::Active.as_str().to_owned());
                }
                (amount.amount_minor > 0).then(|| {
                    Notice::PaymentSucceeded(PaymentParams {
                        plan_name: before.display_name().to_owned(),
                        amount,
                        at: created,
                        billing_link: self.deps.urls.portal.clone(),
                    })
                })
            }
        };
        row.state_at = Set(Some(created));
        row.updated_at = Set(now);
        if is_new {
            row.insert(txn).await?;
        } else {
            row.update(txn).await?;
        }
        if let Some(notice) = notice {
            for owner in self.deps.people.org_owners(txn, org).await? {
                notify::request(txn, &self.deps.clock, org, owner, notice.clone()).await?;
            }
        }
        Ok(WebhookOutcome::Applied)
    }

    fn subscription_params(&self, plan: PlanCode, until: DateTime<Utc>) -> SubscriptionParams {
        let price = self.deps.catalog.get(plan);
        SubscriptionParams {
            plan_name: plan.display_name().to_owned(),
            amount: Money {
                amount_minor: price.monthly_price,
                currency: price.currency.clone(),
            },
            until,
            billing_link: self.deps.urls.portal.clone(),
        }
    }

    /// Whether the organization exists (it may have been deleted since
    /// its checkout).
    async fn org_exists(&self, txn: &DatabaseTransaction, org: OrgId) -> Result<bool> {
        Ok(organization::name(txn, org).await?.is_some())
    }

    /// The organization whose Stripe customer `customer` is.
    async fn org_of_customer(
        &self,
        txn: &DatabaseTransaction,
        customer: &str,
    ) -> Result<Option<OrgId>> {
        Ok(subscription::Entity::find()
            .filter(subscription::Column::StripeCustomerId.eq(customer))
            .one(txn)
            .await?
            .map(|row| row.org_id))
    }
}

/// The event's object as `T`.
fn object<T: DeserializeOwned>(envelope: &event::Envelope) -> Result<T> {
    serde_json::from_value(envelope.data.object.clone())
        .map_err(|e| Error::MalformedEvent(format!("{}: {e}", envelope.kind)))
}
