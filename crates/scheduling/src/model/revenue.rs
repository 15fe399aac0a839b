//! Revenue reports.

use poem_openapi::Object;
use serde::Serialize;

/// How revenue is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum, Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RevenueGroup {
    /// By local day.
    Day,
    /// By ISO week (Monday first).
    Week,
    /// By calendar month.
    Month,
}

/// Revenue of one period in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RevenuePeriod {
    /// The period's first local day, `YYYY-MM-DD`.
    pub period: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Completed appointments.
    pub appointments: i64,
    /// Their prices summed, in minor units.
    pub total_minor: i64,
}

/// Revenue from completed appointments.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RevenueReport {
    /// The zone whose days are counted.
    pub time_zone: String,
    /// The grouping.
    pub group: RevenueGroup,
    /// Periods with revenue, in order.
    pub periods: Vec<RevenuePeriod>,
}
