//! What an organization's plan allows.
//!
//! Billing owns the plans; the domains that hold what a plan counts
//! (scheduling's clients and recurring schedules, identity's members, the
//! vault's credentials, messaging's WhatsApp reminders) ask this port before
//! they add one more, and refuse with [`LimitReached`] (403
//! `plan.limit_reached`) when the plan in force does not allow it.

use std::fmt;

use sea_orm::DbErr;

use crate::{DomainError, ErrorKind, id::OrgId};

/// Something a plan limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Clients a professional keeps (scheduling).
    Clients,
    /// Members of the organization, owners included (identity).
    OrgMembers,
    /// Credentials in the vault.
    VaultCredentials,
    /// Appointment reminders by WhatsApp: a switch, 0 is off.
    WhatsappReminders,
    /// Recurring appointment series a professional keeps (scheduling).
    RecurringSchedules,
}

impl Limit {
    /// Every limit, in the order the API lists them.
    pub const ALL: [Limit; 5] = [
        Limit::Clients,
        Limit::OrgMembers,
        Limit::VaultCredentials,
        Limit::WhatsappReminders,
        Limit::RecurringSchedules,
    ];

    /// The stable name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Clients => "clients",
            Limit::OrgMembers => "org_members",
            Limit::VaultCredentials => "vault_credentials",
            Limit::WhatsappReminders => "whatsapp_reminders",
            Limit::RecurringSchedules => "recurring_schedules",
        }
    }

    /// A feature that is on or off rather than counted.
    pub fn is_switch(self) -> bool {
        matches!(self, Limit::WhatsappReminders)
    }

    /// What it counts, for a person (`one` of them or more).
    fn noun(self, one: bool) -> &'static str {
        match self {
            Limit::Clients if one => "client",
            Limit::OrgMembers if one => "member",
            Limit::VaultCredentials if one => "vault credential",
            Limit::RecurringSchedules if one => "recurring schedule",
            Limit::Clients => "clients",
            Limit::OrgMembers => "members",
            Limit::VaultCredentials => "vault credentials",
            Limit::WhatsappReminders => "WhatsApp reminders",
            Limit::RecurringSchedules => "recurring schedules",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an organization's plan allows for one [`Limit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The limit.
    pub limit: Limit,
    /// The most allowed; `None` is unlimited. A switch is off at 0.
    pub max: Option<u64>,
    /// The plan in force (`free`, `basic`...).
    pub plan: String,
    /// The cheapest plan that allows more, when there is one.
    pub lifted_by: Option<String>,
}

impl Allowance {
    /// No limit at all (no billing wired).
    pub fn unlimited(limit: Limit) -> Self {
        Self {
            limit,
            max: None,
            plan: "unlimited".to_owned(),
            lifted_by: None,
        }
    }

    /// Whether one more may be added to the `in_use` already held.
    pub fn admits(&self, in_use: u64) -> Result<(), LimitReached> {
        match self.max {
            Some(max) if in_use >= max => Err(LimitReached {
                limit: self.limit,
                max,
                plan: self.plan.clone(),
                lifted_by: self.lifted_by.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// [`admits`](Self::admits), counting what is in use (`in_use`, a
    /// query not yet run) only when the plan limits it.
    pub async fn admits_counted<E>(
        &self,
        in_use: impl Future<Output = Result<u64, E>>,
    ) -> Result<(), E>
    where
        E: From<LimitReached>,
    {
        if self.max.is_none() {
            return Ok(());
        }
        Ok(self.admits(in_use.await?)?)
    }

    /// For a switch: whether the feature is on.
    pub fn is_on(&self) -> bool {
        self.max != Some(0)
    }
}

/// The plan in force does not allow one more (403 `plan.limit_reached`).
/// Its text names the limit, the plan and the plan that lifts it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LimitReached {
    /// The limit reached.
    pub limit: Limit,
    /// What the plan allows.
    pub max: u64,
    /// The plan in force.
    pub plan: String,
    /// The cheapest plan that allows more, when there is one.
    pub lifted_by: Option<String>,
}

impl fmt::Display for LimitReached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (limit, plan) = (self.limit, &self.plan);
        let noun = limit.noun(self.max == 1);
        if limit.is_switch() {
            write!(f, "the {plan} plan does not include {noun} (limit {limit})")?;
        } else {
            let max = self.max;
            write!(
                f,
                "the {plan} plan allows at most {max} {noun} (limit {limit})"
            )?;
        }
        match &self.lifted_by {
            Some(upgrade) => write!(f, "; the {upgrade} plan lifts it"),
            None => Ok(()),
        }
    }
}

impl DomainError for LimitReached {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Forbidden
    }

    fn code(&self) -> &'static str {
        "plan.limit_reached"
    }
}

/// What an organization's plan allows (billing implements it).
#[async_trait::async_trait]
pub trait Entitlements: Send + Sync + 'static {
    /// What the plan in force for `org` allows for `limit`.
    async fn limit(&self, org: OrgId, limit: Limit) -> Result<Allowance, DbErr>;
}

/// No limits: for tests and tools that run without billing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

#[async_trait::async_trait]
impl Entitlements for Unlimited {
    async fn limit(&self, _org: OrgId, limit: Limit) -> Result<Allowance, DbErr> {
        Ok(Allowance::unlimited(limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowance(limit: Limit, max: Option<u64>) -> Allowance {
        Allowance {
            limit,
            max,
            plan: "free".into(),
            lifted_by: Some("basic".into()),
        }
    }

    #[test]
    fn a_count_below_the_maximum_admits_one_more() {
        let clients = allowance(Limit::Clients, Some(3));
        assert!(clients.admits(2).is_ok());
        let reached = clients.admits(3).unwrap_err();
        assert_eq!(reached.max, 3);
        assert_eq!(
            reached.to_string(),
            "the free plan allows at most 3 clients (limit clients); the basic plan lifts it"
        );
        assert!(allowance(Limit::Clients, None).admits(u64::MAX).is_ok());
        let one = allowance(Limit::OrgMembers, Some(1)).admits(1).unwrap_err();
        assert!(
            one.to_string()
                .starts_with("the free plan allows at most 1 member ")
        );
    }

    #[test]
    fn a_switch_at_zero_is_off() {
        let off = allowance(Limit::WhatsappReminders, Some(0));
        assert!(!off.is_on());
        assert_eq!(
            off.admits(0).unwrap_err().to_string(),
            "the free plan does not include WhatsApp reminders (limit whatsapp_reminders); \
             the basic plan lifts it"
        );
        assert!(allowance(Limit::WhatsappReminders, Some(1)).is_on());
        assert!(Allowance::unlimited(Limit::WhatsappReminders).is_on());
    }

    #[test]
    fn names_are_stable() {
        let names: Vec<_> = Limit::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(
            names,
            [
                "clients",
                "org_members",
                "vault_credentials",
                "whatsapp_reminders",
                "recurring_schedules"
            ]
        );
    }
}
