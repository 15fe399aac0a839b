//! An invoice's arithmetic: integers only, every step checked. Pure.
//!
//! The rounding rule, applied once per line and once for the tax:
//!
//! - a line's amount is `quantity_milli × unit_price_minor / 1000`,
//!   rounded half up to a whole minor unit (1.5 × 0.33 = 0.495 → 0.50);
//! - the subtotal is the sum of the line amounts (no further rounding);
//! - the tax is `subtotal × tax_bp / 10000`, rounded half up;
//! - the total is `subtotal + tax`.
//!
//! Quantities and prices are never negative, so "half up" is "half away
//! from zero". Products are taken in `i128`; a result that does not fit an
//! `i64` is [`TooLarge`] (answered as a 422 by the service), never a wrap.

/// One hour in thousandths of an hour.
pub const MILLI_PER_UNIT: i64 = 1_000;

/// A basis point is a hundredth of a percent: 10000 is 100%.
pub const BP_PER_WHOLE: i64 = 10_000;

/// A result too large for the integers it is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the amount is too large")]
pub struct TooLarge;

/// `numerator / denominator` rounded half up, for a non-negative numerator
/// and a positive denominator.
fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    (numerator + denominator / 2) / denominator
}

/// A line's amount: `quantity_milli × unit_price_minor / 1000`, rounded half up.
pub fn line_amount(quantity_milli: i64, unit_price_minor: i64) -> Result<i64, TooLarge> {
    let product = i128::from(quantity_milli.max(0)) * i128::from(unit_price_minor.max(0));
    i64::try_from(div_round_half_up(product, i128::from(MILLI_PER_UNIT))).map_err(|_| TooLarge)
}

/// The tax on `subtotal` at `tax_bp` basis points, rounded half up.
pub fn tax(subtotal_minor: i64, tax_bp: i32) -> Result<i64, TooLarge> {
    let product = i128::from(subtotal_minor.max(0)) * i128::from(tax_bp.max(0));
    i64::try_from(div_round_half_up(product, i128::from(BP_PER_WHOLE))).map_err(|_| TooLarge)
}

/// An invoice's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Sum of the line amounts.
    pub subtotal_minor: i64,
    /// Tax on the subtotal.
    pub tax_minor: i64,
    /// Subtotal plus tax.
    pub total_minor: i64,
}

/// The totals of lines with these amounts at `tax_bp`.
pub fn totals(amounts: impl IntoIterator<Item = i64>, tax_bp: i32) -> Result<Totals, TooLarge> {
    let subtotal_minor = amounts
        .into_iter()
        .try_fold(0_i64, |sum, amount| sum.checked_add(amount))
        .ok_or(TooLarge)?;
    let tax_minor = tax(subtotal_minor, tax_bp)?;
    let total_minor = subtotal_minor.checked_add(tax_minor).ok_or(TooLarge)?;
    Ok(Totals {
        subtotal_minor,
        tax_minor,
        total_minor,
    })
}

/// Seconds of work as hours in thousandths, rounded half up (90 minutes is 1500).
pub fn hours_milli(seconds: i64) -> Result<i64, TooLarge> {
    let milli = div_round_half_up(i128::from(seconds.max(0)) * 1_000, 3_600);
    i64::try_from(milli).map_err(|_| TooLarge)
}

/// `amount_minor` in major units with the currency's minor digits and the
/// code (`1234.50 BRL`, `1234 JPY`), for documents.
pub fn format_money(amount_minor: i64, minor_digits: u32, code: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    if minor_digits == 0 {
        return format!("{sign}{abs} {code}");
    }
    let unit = 10_u64.pow(minor_digits);
    let width = minor_digits as usize;
    format!("{sign}{}.{:0width$} {code}", abs / unit, abs % unit)
}

/// A quantity in thousandths as text, without trailing zeros (`1.5`, `2`).
pub fn format_quantity(quantity_milli: i64) -> String {
    let whole = quantity_milli / 1_000;
    let frac = (quantity_milli % 1_000).abs();
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn line_amounts_round_half_up() {
        assert_eq!(line_amount(1_500, 33), Ok(50)); // 49.5 → 50
        assert_eq!(line_amount(1_000, 12_345), Ok(12_345));
        assert_eq!(line_amount(1, 499), Ok(0)); // 0.499 → 0
        assert_eq!(line_amount(1, 500), Ok(1)); // 0.5 → 1
        assert_eq!(line_amount(2_500, 10_000), Ok(25_000));
    }

    #[test]
    fn tax_rounds_half_up_on_the_subtotal() {
        assert_eq!(tax(10_000, 1_500), Ok(1_500));
        assert_eq!(tax(333, 500), Ok(17)); // 16.65 → 17
        assert_eq!(tax(10, 500), Ok(1)); // 0.5 → 1
        assert_eq!(tax(9, 500), Ok(0)); // 0.45 → 0
        assert_eq!(tax(12_345, 0), Ok(0));
    }

    #[test]
    fn totals_sum_lines_then_tax_once() {
        let t = totals([50, 50, 50], 1_000).unwrap();
        assert_eq!(
            t,
            Totals {
                subtotal_minor: 150,
                tax_minor: 15,
                total_minor: 165
            }
        );
        assert_eq!(totals([], 1_000), Ok(Totals::default()));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(line_amount(i64::MAX, i64::MAX), Err(TooLarge));
        assert_eq!(totals([i64::MAX, 1], 0), Err(TooLarge));
        assert_eq!(totals([i64::MAX], 1), Err(TooLarge));
    }

    #[test]
    fn hours_are_thousandths_rounded_half_up() {
        assert_eq!(hours_milli(5_400), Ok(1_500));
        assert_eq!(hours_milli(3_600), Ok(1_000));
        assert_eq!(hours_milli(1), Ok(0)); // 0.28 thousandths
        assert_eq!(hours_milli(2), Ok(1)); // 0.56 → 1
    }

    #[test]
    fn money_and_quantities_format() {
        assert_eq!(format_money(123_450, 2, "BRL"), "1234.50 BRL");
        assert_eq!(format_money(5, 2, "USD"), "0.05 USD");
        assert_eq!(format_money(1_234, 0, "JPY"), "1234 JPY");
        assert_eq!(format_money(1_234, 3, "BHD"), "1.234 BHD");
        assert_eq!(format_quantity(1_500), "1.5");
        assert_eq!(format_quantity(2_000), "2");
        assert_eq!(format_quantity(1_005), "1.005");
    }

    proptest! {
        #[test]
        fn a_line_is_within_half_a_unit_of_the_exact_product(
            q in 0_i64..1_000_000_000, p in 0_i64..100_000_000_000
        ) {
            let amount = i128::from(line_amount(q, p).unwrap());
            let exact_times_1000 = i128::from(q) * i128::from(p);
            // |amount − exact| ≤ 0.5, and exactly 0.5 rounds up
            prop_assert!((amount * 1000 - exact_times_1000).abs() <= 500);
            prop_assert!(amount * 1000 - exact_times_1000 > -500);
        }

        #[test]
        fn total_is_subtotal_plus_tax(
            amounts in proptest::collection::vec(0_i64..1_000_000_000_000, 0..50),
            bp in 0_i32..=10_000
        ) {
            let t = totals(amounts.iter().copied(), bp).unwrap();
            prop_assert_eq!(t.subtotal_minor, amounts.iter().sum::<i64>());
            prop_assert_eq!(t.total_minor, t.subtotal_minor + t.tax_minor);
            prop_assert!(t.tax_minor <= t.subtotal_minor);
        }
    }
}
