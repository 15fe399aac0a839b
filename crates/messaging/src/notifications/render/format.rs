//! Dates, times and money worded for a locale, in the recipient's time zone.
//!
//! English names come from chrono. Portuguese ones are the twelve months
//! and seven weekdays below: chrono's `unstable-locales` takes them from
//! glibc, whose `pt_BR` says "segunda" where Brazilian writing says
//! "segunda-feira", and enabling it would change chrono for the whole
//! workspace. Digit grouping is a few lines here rather than a crate.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use crate::notifications::Locale;

/// How much of a date or time to spell out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Everything, for emails: "Monday, 23 November 2026 at 14:30 (UTC-03)".
    #[default]
    Long,
    /// Compact, for texts and pushes: "Mon 23 Nov at 14:30".
    Short,
}

impl Style {
    /// The style a template names (`"long"`, `"short"`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "long" => Some(Self::Long),
            "short" => Some(Self::Short),
            _ => None,
        }
    }
}

const PT_WEEKDAYS: [&str; 7] = [
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
];
const PT_WEEKDAYS_SHORT: [&str; 7] = ["seg", "ter", "qua", "qui", "sex", "sáb", "dom"];
const PT_MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// An instant as the recipient's wall clock shows it, with the zone in the
/// long style (a client travelling, or a business in another zone).
pub fn datetime(at: DateTime<Utc>, zone: Tz, locale: Locale, style: Style) -> String {
    let local = at.with_timezone(&zone);
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    let weekday = local.weekday().num_days_from_monday() as usize;
    match (locale, style) {
        (Locale::En, Style::Long) => format!(
            "{} at {time} ({})",
            local.format("%A, %-d %B %Y"),
            zone_label(&local)
        ),
        (Locale::En, Style::Short) => format!("{} at {time}", local.format("%a %-d %b")),
        (Locale::PtBr, Style::Long) => format!(
            "{}, {} às {time} ({})",
            PT_WEEKDAYS[weekday],
            date(local.date_naive(), locale, Style::Long),
            zone_label(&local)
        ),
        (Locale::PtBr, Style::Short) => format!(
            "{} {:02}/{:02} às {time}",
            PT_WEEKDAYS_SHORT[weekday],
            local.day(),
            local.month()
        ),
    }
}

/// A calendar day: "23 November 2026", "23 de novembro de 2026"; short
/// "23 Nov 2026", "23/11/2026".
pub fn date(day: NaiveDate, locale: Locale, style: Style) -> String {
    match (locale, style) {
        (Locale::En, Style::Long) => day.format("%-d %B %Y").to_string(),
        (Locale::En, Style::Short) => day.format("%-d %b %Y").to_string(),
        (Locale::PtBr, Style::Long) => format!(
            "{} de {} de {}",
            day.day(),
            PT_MONTHS[day.month0() as usize],
            day.year()
        ),
        (Locale::PtBr, Style::Short) => day.format("%d/%m/%Y").to_string(),
    }
}

/// The day an instant falls on in the recipient's zone.
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The wall-clock time of an instant in the recipient's zone: "14:30"
/// (both locales use the 24-hour clock).
pub fn time(at: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// The zone's abbreviation where tzdata has a lettered one ("CET", "EST",
/// "UTC"), else its offset ("UTC-03": tzdata writes São Paulo as "-03").
fn zone_label(local: &DateTime<Tz>) -> String {
    let abbreviation = local.format("%Z").to_string();
    if abbreviation.starts_with(['+', '-']) {
        format!("UTC{abbreviation}")
    } else {
        abbreviation
    }
}

/// An amount in a currency's minor units, worded for a locale: en
/// "$1,234.56", "R$1,234.56", "¥1,235"; pt-BR "R$ 1.234,56", "US$ 10,00".
/// The number of decimals is the currency's ISO 4217 exponent; an unknown
/// code gets two and shows as itself ("XYZ 1.00").
pub fn money(amount_minor: i64, code: &str, locale: Locale) -> String {
    let currency = iso_currency::Currency::from_code(code);
    let exponent = currency.and_then(|c| c.exponent()).map_or(2, u32::from);
    let symbol = symbol(currency, code, locale);
    let (group, decimal) = match locale {
        Locale::En => (',', '.'),
        Locale::PtBr => ('.', ','),
    };
    let divisor = 10u64.pow(exponent);
    let units = amount_minor.unsigned_abs();
    let mut number = grouped(units / divisor, group);
    if exponent > 0 {
        number.push(decimal);
        number.push_str(&format!(
            "{:0width$}",
            units % divisor,
            width = exponent as usize
        ));
    }
    let sign = if amount_minor < 0 { "-" } else { "" };
    // Letters touching digits read badly ("CAD1.00"); signs may touch them
    // in English ("$1.00") and are spaced in Portuguese ("R$ 1,00").
    let space = locale == Locale::PtBr || symbol.ends_with(char::is_alphabetic);
    let space = if space { " " } else { "" };
    format!("{sign}{symbol}{space}{number}")
}

/// The sign to write before an amount. ISO's symbols are local ones, so
/// some need care: a bare "$" is the US dollar only in English (Brazilians
/// write "US$"), and another dollar, or a symbol in another script, is
/// clearer as its code ("CAD", "AED").
fn symbol(currency: Option<iso_currency::Currency>, code: &str, locale: Locale) -> String {
    let Some(currency) = currency else {
        return code.to_owned();
    };
    let symbol = currency.symbol().symbol;
    let foreign_letters = symbol
        .chars()
        .any(|c| c.is_alphabetic() && !c.is_ascii_alphabetic());
    match (symbol.as_str(), code, locale) {
        ("$", "USD", Locale::En) => symbol,
        ("$", "USD", Locale::PtBr) => "US$".to_owned(),
        ("$", ..) => code.to_owned(),
        _ if symbol.is_empty() || foreign_letters => code.to_owned(),
        _ => symbol,
    }
}

/// `n` with `separator` between groups of three digits.
fn grouped(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn monday_1730_utc() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 17, 30, 0)
            .single()
            .unwrap_or_else(|| panic!("a valid instant"))
    }

    #[test]
    fn datetimes_are_in_the_recipients_zone_and_language() {
        let at = monday_1730_utc();
        let sp = chrono_tz::America::Sao_Paulo;
        assert_eq!(
            datetime(at, sp, Locale::En, Style::Long),
            "Monday, 23 November 2026 at 14:30 (UTC-03)"
        );
        assert_eq!(
            datetime(at, sp, Locale::PtBr, Style::Long),
            "segunda-feira, 23 de novembro de 2026 às 14:30 (UTC-03)"
        );
        assert_eq!(
            datetime(at, sp, Locale::En, Style::Short),
            "Mon 23 Nov at 14:30"
        );
        assert_eq!(
            datetime(at, sp, Locale::PtBr, Style::Short),
            "seg 23/11 às 14:30"
        );
        // A zone with a lettered abbreviation, and one where the day changes.
        assert_eq!(
            datetime(at, chrono_tz::Europe::Berlin, Locale::En, Style::Long),
            "Monday, 23 November 2026 at 18:30 (CET)"
        );
        assert_eq!(
            datetime(at, chrono_tz::Asia::Tokyo, Locale::PtBr, Style::Long),
            "terça-feira, 24 de novembro de 2026 às 02:30 (JST)"
        );
        assert_eq!(time(at, chrono_tz::UTC), "17:30");
        assert_eq!(local_date(at, chrono_tz::Asia::Tokyo).day(), 24);
    }

    #[test]
    fn dates_in_both_locales() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        assert_eq!(date(day, Locale::En, Style::Long), "1 March 2026");
        assert_eq!(date(day, Locale::En, Style::Short), "1 Mar 2026");
        assert_eq!(date(day, Locale::PtBr, Style::Long), "1 de março de 2026");
        assert_eq!(date(day, Locale::PtBr, Style::Short), "01/03/2026");
    }

    #[test]
    fn money_uses_the_currency_exponent_and_the_locale_separators() {
        assert_eq!(money(123_456, "USD", Locale::En), "$1,234.56");
        assert_eq!(money(123_456, "EUR", Locale::En), "€1,234.56");
        assert_eq!(money(123_456, "BRL", Locale::En), "R$1,234.56");
        assert_eq!(money(123_456, "BRL", Locale::PtBr), "R$ 1.234,56");
        assert_eq!(money(1_000, "USD", Locale::PtBr), "US$ 10,00");
        assert_eq!(money(123_456, "EUR", Locale::PtBr), "€ 1.234,56");
        assert_eq!(money(1_235, "JPY", Locale::En), "¥1,235");
        assert_eq!(money(1_234_567, "BHD", Locale::En), "BHD 1,234.567");
        assert_eq!(money(5, "CAD", Locale::En), "CAD 0.05");
        assert_eq!(money(100, "XYZ", Locale::En), "XYZ 1.00");
        assert_eq!(money(-4_990, "BRL", Locale::PtBr), "-R$ 49,90");
        assert_eq!(money(0, "GBP", Locale::En), "£0.00");
        assert_eq!(
            money(i64::MIN, "USD", Locale::En),
            "-$92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn grouping_by_threes() {
        assert_eq!(grouped(0, ','), "0");
        assert_eq!(grouped(999, ','), "999");
        assert_eq!(grouped(1_000, '.'), "1.000");
        assert_eq!(grouped(1_234_567, ','), "1,234,567");
    }
}
