//! An organization's subscription as the API shows it, and what changes it.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use trellis_kernel::{Timestamp, id::OrgId};

use super::PlanLimitsView;
use crate::plans::PlanCode;

/// Where a subscription stands, in Stripe's words (`none`: never
/// subscribed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Never subscribed: the free plan.
    None,
    /// Paid and current.
    Active,
    /// In a trial.
    Trialing,
    /// A payment failed; Stripe is retrying. The plan stays in force.
    PastDue,
    /// Ended: back on free.
    Canceled,
    /// Retries exhausted: back on free until paid.
    Unpaid,
    /// The first payment is pending.
    Incomplete,
    /// The first payment never came.
    IncompleteExpired,
    /// Paused by the customer.
    Paused,
}

impl SubscriptionStatus {
    const ALL: [SubscriptionStatus; 9] = [
        Self::None,
        Self::Active,
        Self::Trialing,
        Self::PastDue,
        Self::Canceled,
        Self::Unpaid,
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Paused,
    ];

    /// The stored (and Stripe's) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Active => "active",
            Self::Trialing => "trialing",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Unpaid => "unpaid",
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Paused => "paused",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the subscribed plan is in force: paid, in a trial, or while
    /// Stripe retries a failed payment. Otherwise the organization is on
    /// free.
    pub fn keeps_plan(self) -> bool {
        matches!(self, Self::Active | Self::Trialing | Self::PastDue)
    }
}

/// An organization's plan and subscription.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct SubscriptionView {
    /// The organization.
    pub org_id: OrgId,
    /// The plan in force (`free` unless a subscription keeps another).
    pub plan: PlanCode,
    /// The subscription's status.
    pub status: SubscriptionStatus,
    /// The end of the paid period.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_period_end: Option<Timestamp>,
    /// Whether the subscription ends at the end of the period.
    pub cancel_at_period_end: bool,
    /// Whether the Stripe customer portal is available (the organization
    /// has been to checkout).
    pub portal_available: bool,
    /// The limits in force.
    pub limits: PlanLimitsView,
}

/// Subscribe to a plan through Stripe Checkout.
#[derive(Debug, Clone, PartialEq, Eq, Object, Deserialize)]
pub struct StartCheckout {
    /// A paid plan on sale (`purchasable` in `GET /plans`).
    pub plan: PlanCode,
}

/// Where to send the person next.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct RedirectView {
    /// A Stripe-hosted page.
    pub url: String,
}

/// What a webhook delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// Its effect was applied.
    Applied,
    /// It was processed before: nothing changed.
    Duplicate,
    /// A newer event already set the state: nothing changed.
    Stale,
    /// Not an event billing acts on (or for no organization we know).
    Ignored,
}

impl WebhookOutcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
            Self::Ignored => "ignored",
        }
    }
}

/// The answer to Stripe: received, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct WebhookReceipt {
    /// Stripe's event id.
    pub event_id: String,
    /// What processing did.
    pub outcome: WebhookOutcome,
}

#[cfg(test)]
mod tests {
    use trellis_kernel::testing::assert_same_json;

    use super::*;

    #[test]
    fn serde_and_the_spec_agree() {
        for end in [None, Some(Timestamp(chrono::Utc::now()))] {
            assert_same_json(&SubscriptionView {
                org_id: OrgId::new(),
                plan: PlanCode::Pro,
                status: SubscriptionStatus::PastDue,
                current_period_end: end,
                cancel_at_period_end: false,
                portal_available: true,
                limits: PlanLimitsView::of(PlanCode::Pro),
            });
        }
        assert_same_json(&RedirectView {
            url: "https://checkout.stripe.com/c/1".into(),
        });
        let receipt = assert_same_json(&WebhookReceipt {
            event_id: "evt_1".into(),
            outcome: WebhookOutcome::Duplicate,
        });
        assert_eq!(receipt["outcome"], "duplicate");
    }

    #[test]
    fn statuses_round_trip_and_only_paying_ones_keep_the_plan() {
        for status in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(status.as_str()), Some(status));
        }
        let keeping: Vec<_> = SubscriptionStatus::ALL
            .into_iter()
            .filter(|s| s.keeps_plan())
            .map(SubscriptionStatus::as_str)
            .collect();
        assert_eq!(keeping, ["active", "trialing", "past_due"]);
    }
}
