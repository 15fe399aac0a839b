//! The plans Trellis sells and what each allows. Pure: the catalogue is
//! built once from configuration (currency, Stripe price ids) and answers
//! every entitlement question without I/O.

use std::{fmt, str::FromStr};

use trellis_kernel::{
    ports::{Allowance, Limit},
    types::Currency,
};

/// A plan, from the cheapest up.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    poem_openapi::Enum,
    serde::Serialize,
    serde::Deserialize,
)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PlanCode {
    /// No subscription: what every organization starts on.
    Free,
    /// For a professional working alone.
    Basic,
    /// For a small team.
    Pro,
    /// No limits.
    Premium,
}

impl PlanCode {
    /// Every plan, cheapest first.
    pub const ALL: [PlanCode; 4] = [
        PlanCode::Free,
        PlanCode::Basic,
        PlanCode::Pro,
        PlanCode::Premium,
    ];

    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanCode::Free => "free",
            PlanCode::Basic => "basic",
            PlanCode::Pro => "pro",
            PlanCode::Premium => "premium",
        }
    }

    /// Its name for people (`Pro`).
    pub fn display_name(self) -> &'static str {
        match self {
            PlanCode::Free => "Free",
            PlanCode::Basic => "Basic",
            PlanCode::Pro => "Pro",
            PlanCode::Premium => "Premium",
        }
    }

    /// The price per month in major units (39 for basic): the product's
    /// price list, in whatever currency is configured.
    pub fn monthly_price_major(self) -> i64 {
        match self {
            PlanCode::Free => 0,
            PlanCode::Basic => 39,
            PlanCode::Pro => 79,
            PlanCode::Premium => 149,
        }
    }

    /// What the plan allows; `None` is unlimited, a switch is 0 (off) or 1.
    pub fn allowed(self, limit: Limit) -> Option<u64> {
        use PlanCode::*;
        match (limit, self) {
            (_, Premium) => None,
            (Limit::Clients, Free) => Some(10),
            (Limit::Clients, Basic) => Some(100),
            (Limit::Clients, Pro) => Some(1_000),
            (Limit::OrgMembers, Free) => Some(3),
            (Limit::OrgMembers, Basic) => Some(5),
            (Limit::OrgMembers, Pro) => Some(10),
            (Limit::VaultCredentials, Free) => Some(5),
            (Limit::VaultCredentials, Basic) => Some(50),
            (Limit::VaultCredentials, Pro) => Some(500),
            (Limit::WhatsappReminders, Free) => Some(0),
            (Limit::WhatsappReminders, Basic | Pro) => None,
            (Limit::RecurringSchedules, Free) => Some(2),
            (Limit::RecurringSchedules, Basic) => Some(20),
            (Limit::RecurringSchedules, Pro) => None,
        }
    }

    /// The cheapest plan that allows more of `limit` than this one.
    pub fn lifted_by(self, limit: Limit) -> Option<PlanCode> {
        let here = self.allowed(limit)?;
        PlanCode::ALL
            .into_iter()
            .filter(|plan| *plan > self)
            .find(|plan| plan.allowed(limit).is_none_or(|max| max > here))
    }
}

impl fmt::Display for PlanCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PlanCode {
    type Err = UnknownPlan;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlanCode::ALL
            .into_iter()
            .find(|plan| plan.as_str() == s)
            .ok_or(UnknownPlan)
    }
}

/// A stored plan name that is not one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan")]
pub struct UnknownPlan;

/// One plan as sold: its price and the Stripe price that sells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Which plan.
    pub code: PlanCode,
    /// Price per month in minor units of `currency`.
    pub monthly_price: i64,
    /// The currency prices are in.
    pub currency: Currency,
    /// The Stripe price a checkout subscribes to (`None` for free, or when
    /// not configured: such a plan cannot be bought).
    pub stripe_price_id: Option<String>,
}

/// The four plans, as configured.
#[derive(Debug, Clone)]
pub struct PlanCatalog {
    plans: Vec<Plan>,
}

impl PlanCatalog {
    /// Builds the catalogue: `currency` for every price, and the Stripe
    /// price id selling each paid plan.
    pub fn new(currency: Currency, price_id: impl Fn(PlanCode) -> Option<String>) -> Self {
        let minor = 10_i64.pow(currency.minor_digits());
        let plans = PlanCode::ALL
            .into_iter()
            .map(|code| Plan {
                code,
                monthly_price: code.monthly_price_major() * minor,
                currency: currency.clone(),
                stripe_price_id: match code {
                    PlanCode::Free => None,
                    paid => price_id(paid).filter(|id| !id.is_empty()),
                },
            })
            .collect();
        Self { plans }
    }

    /// Every plan, cheapest first.
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// One plan.
    pub fn get(&self, code: PlanCode) -> &Plan {
        // `new` builds one entry per code, in `PlanCode::ALL` order.
        &self.plans[code as usize]
    }

    /// The plan a Stripe price sells.
    pub fn by_price_id(&self, price_id: &str) -> Option<PlanCode> {
        self.plans
            .iter()
            .find(|plan| plan.stripe_price_id.as_deref() == Some(price_id))
            .map(|plan| plan.code)
    }

    /// What `code` allows for `limit`, and which plan lifts it.
    pub fn allowance(&self, code: PlanCode, limit: Limit) -> Allowance {
        Allowance {
            limit,
            max: code.allowed(limit),
            plan: code.as_str().to_owned(),
            lifted_by: code.lifted_by(limit).map(|p| p.as_str().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> PlanCatalog {
        PlanCatalog::new("BRL".parse().unwrap(), |code| {
            Some(format!("price_{}", code.as_str()))
        })
    }

    #[test]
    fn prices_are_minor_units_of_the_configured_currency() {
        let prices: Vec<_> = catalog().plans().iter().map(|p| p.monthly_price).collect();
        assert_eq!(prices, [0, 3_900, 7_900, 14_900]);
        let yen = PlanCatalog::new("JPY".parse().unwrap(), |_| None);
        assert_eq!(yen.get(PlanCode::Basic).monthly_price, 39);
    }

    #[test]
    fn free_is_never_sold_and_price_ids_map_back_to_plans() {
        let catalog = catalog();
        assert_eq!(catalog.get(PlanCode::Free).stripe_price_id, None);
        assert_eq!(catalog.by_price_id("price_pro"), Some(PlanCode::Pro));
        assert_eq!(catalog.by_price_id("price_free"), None);
        assert_eq!(catalog.by_price_id("price_other"), None);
    }

    #[test]
    fn each_limit_names_the_cheapest_plan_that_lifts_it() {
        let catalog = catalog();
        let free_members = catalog.allowance(PlanCode::Free, Limit::OrgMembers);
        assert_eq!(free_members.max, Some(3));
        assert_eq!(free_members.lifted_by.as_deref(), Some("basic"));
        let pro_clients = catalog.allowance(PlanCode::Pro, Limit::Clients);
        assert_eq!(pro_clients.lifted_by.as_deref(), Some("premium"));
        // Basic already has unlimited WhatsApp reminders: nothing to lift.
        let basic_whatsapp = catalog.allowance(PlanCode::Basic, Limit::WhatsappReminders);
        assert!(basic_whatsapp.is_on());
        assert_eq!(basic_whatsapp.lifted_by, None);
        assert!(
            !catalog
                .allowance(PlanCode::Free, Limit::WhatsappReminders)
                .is_on()
        );
    }

    #[test]
    fn every_plan_allows_at_least_what_cheaper_ones_do() {
        for limit in Limit::ALL {
            for pair in PlanCode::ALL.windows(2) {
                let (lower, upper) = (pair[0].allowed(limit), pair[1].allowed(limit));
                let ok = match (lower, upper) {
                    (_, None) => true,
                    (None, Some(_)) => false,
                    (Some(l), Some(u)) => u >= l,
                };
                assert!(ok, "{limit}: {} allows less than {}", pair[1], pair[0]);
            }
        }
    }

    #[test]
    fn codes_round_trip() {
        for code in PlanCode::ALL {
            assert_eq!(code.as_str().parse::<PlanCode>(), Ok(code));
        }
        assert_eq!("gold".parse::<PlanCode>(), Err(UnknownPlan));
    }
}
