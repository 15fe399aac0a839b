//! What time is worth: one rule, used by the report's SQL and by billing.
//!
//! An entry's amount is `rate_minor × seconds / 3600`, rounded half up to a
//! whole minor unit, per entry; group totals are sums of entry amounts. So an
//! invoice built from entries ([`BillableEntry`](crate::model::BillableEntry)
//! amounts) totals exactly what the report says for the same entries, which
//! rounding the sum instead would not guarantee. Integers throughout: a rate
//! is at most [`MAX_RATE_MINOR`] and an entry at most
//! [`MAX_ENTRY_SECONDS`](crate::rounding::MAX_ENTRY_SECONDS), so the product
//! fits an `i64` in both databases.

/// The largest hourly rate accepted, in minor units (ten million in a
/// two-decimal currency): keeps `rate × seconds` far from `i64::MAX`.
pub const MAX_RATE_MINOR: i64 = 1_000_000_000;

/// The amount of `seconds` at `rate_minor` per hour, rounded half up.
pub fn amount_minor(rate_minor: i64, seconds: i64) -> i64 {
    let product = i128::from(rate_minor.max(0)) * i128::from(seconds.max(0));
    i64::try_from((product + 1_800) / 3_600).unwrap_or(i64::MAX)
}

/// The same rule in SQL over `time_entries` columns (integer division
/// truncates in SQLite and PostgreSQL alike; operands are never negative).
pub(crate) const AMOUNT_SQL: &str =
    "(\"time_entries\".\"rate_minor\" * \"time_entries\".\"duration_seconds\" + 1800) / 3600";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_half_up_per_entry() {
        assert_eq!(amount_minor(6_000, 3_600), 6_000);
        assert_eq!(amount_minor(6_000, 90 * 60), 9_000);
        // 1 minute at 0.10/h is 0.1667 minor units: rounds to 0.
        assert_eq!(amount_minor(10, 60), 0);
        // 0.5 exactly rounds up.
        assert_eq!(amount_minor(1, 1_800), 1);
        assert_eq!(amount_minor(1, 1_799), 0);
        assert_eq!(amount_minor(MAX_RATE_MINOR, 7 * 86_400), 168_000_000_000);
    }
}
