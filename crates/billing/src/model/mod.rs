//! Commands billing accepts and views it returns, one file per aggregate.

mod plan;
mod subscription;

pub use plan::{PlanLimitsView, PlanView};
pub use subscription::{
    RedirectView, StartCheckout, SubscriptionStatus, SubscriptionView, WebhookOutcome,
    WebhookReceipt,
};
