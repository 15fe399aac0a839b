//! Plans as the API shows them.

use poem_openapi::Object;
use serde::Serialize;
use trellis_kernel::{ports::Limit, types::Currency};

use crate::plans::{Plan, PlanCode};

/// A plan on sale, with its price and limits.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct PlanView {
    /// Which plan.
    pub code: PlanCode,
    /// Price per month in minor units of `currency` (3900 is 39.00).
    pub monthly_price: i64,
    /// The currency of the price.
    pub currency: Currency,
    /// Whether a checkout can subscribe to it (a paid plan with a Stripe
    /// price configured).
    pub purchasable: bool,
    /// What it allows.
    pub limits: PlanLimitsView,
}

/// What a plan allows. An absent number is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
pub struct PlanLimitsView {
    /// Clients per professional.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<u64>,
    /// Members of the organization, owners included.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_members: Option<u64>,
    /// Credentials in the vault.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault_credentials: Option<u64>,
    /// Recurring appointment series per professional.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring_schedules: Option<u64>,
    /// Whether appointment reminders may go by WhatsApp.
    pub whatsapp_reminders: bool,
}

impl PlanLimitsView {
    /// The limits of `code`.
    pub fn of(code: PlanCode) -> Self {
        Self {
            clients: code.allowed(Limit::Clients),
            org_members: code.allowed(Limit::OrgMembers),
            vault_credentials: code.allowed(Limit::VaultCredentials),
            recurring_schedules: code.allowed(Limit::RecurringSchedules),
            whatsapp_reminders: code.allowed(Limit::WhatsappReminders) != Some(0),
        }
    }
}

impl From<&Plan> for PlanView {
    fn from(plan: &Plan) -> Self {
        Self {
            code: plan.code,
            monthly_price: plan.monthly_price,
            currency: plan.currency.clone(),
            purchasable: plan.stripe_price_id.is_some(),
            limits: PlanLimitsView::of(plan.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::testing::assert_same_json;

    use super::*;
    use crate::plans::PlanCatalog;

    #[test]
    fn serde_and_the_spec_agree() {
        let catalog = PlanCatalog::new("BRL".parse().unwrap(), |_| Some("price_x".into()));
        for plan in catalog.plans() {
            assert_same_json(&PlanView::from(plan));
        }
        let json = assert_same_json(&PlanView::from(catalog.get(PlanCode::Premium)));
        assert_eq!(
            json["limits"],
            serde_json::json!({"whatsapp_reminders": true})
        );
    }
}
