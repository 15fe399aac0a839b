//! The summary report.

use chrono::NaiveDate;
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

/// What the summary groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The project's client.
    Client,
    /// The project.
    Project,
    /// The member.
    User,
    /// The task (entries without one form one group, key `none`).
    Task,
    /// The local day the entry starts on, in the organization's zone.
    Day,
    /// The ISO week (from Monday) the entry starts in, in the organization's zone.
    Week,
}

/// Money in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct MoneyAmount {
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units.
    pub amount_minor: i64,
}

/// The totals of one group.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SummaryGroup {
    /// The client, project, user or task id; the day (`YYYY-MM-DD`); the
    /// week's Monday; or `none` for time without a task.
    pub key: String,
    /// The client's or project's name, the task's title, the person's
    /// name (else their email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The person's email, when grouped by user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Seconds logged.
    pub seconds: i64,
    /// Of which billable.
    pub billable_seconds: i64,
    /// Billable amounts per currency (each entry's rate × hours, rounded
    /// half up to a minor unit, then summed).
    pub amounts: Vec<MoneyAmount>,
}

/// The totals over every group.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SummaryTotal {
    /// Seconds logged.
    pub seconds: i64,
    /// Of which billable.
    pub billable_seconds: i64,
    /// Billable amounts per currency.
    pub amounts: Vec<MoneyAmount>,
}

/// Time logged between two local dates, grouped.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct SummaryReport {
    /// The zone whose dates bound the range and name days and weeks.
    pub time_zone: String,
    /// First local day (inclusive).
    pub from: NaiveDate,
    /// Last local day (inclusive).
    pub to: NaiveDate,
    /// The grouping.
    pub group_by: GroupBy,
    /// Groups with time, ordered by key (days, weeks) or label.
    pub groups: Vec<SummaryGroup>,
    /// Every group together.
    pub total: SummaryTotal,
}
