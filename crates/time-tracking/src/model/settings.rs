//! An organization's time-keeping rules.

use chrono::NaiveDate;
use poem_openapi::{Enum, Object, types::MaybeUndefined};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::types::TimeZone;

/// Which way instants are moved to the rounding grid.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RoundingMode {
    /// To the next grid line (or stay on one).
    #[sea_orm(string_value = "up")]
    Up,
    /// To the previous grid line (or stay on one).
    #[sea_orm(string_value = "down")]
    Down,
    /// To the closest grid line; half way goes up.
    #[sea_orm(string_value = "nearest")]
    Nearest,
}

/// Entries' start and end are moved to a grid of `minutes` (see
/// `trellis_time_tracking::rounding` for why instants and not durations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Object, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RoundingRule {
    /// Which way.
    pub mode: RoundingMode,
    /// The grid: a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60).
    pub minutes: u32,
}

/// The organization's time-keeping rules.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct TimeSettingsView {
    /// IANA zone whose days and weeks reports count, and the lock date is in.
    pub time_zone: String,
    /// Whether one person's entries may overlap.
    pub allow_overlaps: bool,
    /// Entries starting before this local date are read-only except for admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_date: Option<NaiveDate>,
    /// How entries are rounded when written; absent: not rounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounding: Option<RoundingRule>,
}

/// Change the rules (admins); absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateTimeSettings {
    /// IANA zone.
    pub time_zone: Option<TimeZone>,
    /// Whether one person's entries may overlap.
    pub allow_overlaps: Option<bool>,
    /// The lock date; `null` unlocks everything.
    pub lock_date: MaybeUndefined<NaiveDate>,
    /// The rounding rule; `null` stops rounding.
    pub rounding: MaybeUndefined<RoundingRule>,
}
