//! Currency codes.

use std::fmt;

use super::{string_schema, string_type};

/// An ISO 4217-shaped currency code: three ASCII letters, kept upper-case.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// The OpenAPI format.
    pub const FORMAT: &'static str = "iso-4217";

    /// Parses a code, trimming and upper-casing it (`eur` is `EUR`).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err("must be a three-letter currency code such as EUR")
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Decimal digits of its minor unit: the ISO 4217 exponent (2 for BRL
    /// and EUR, 0 for JPY); 2 for a code ISO 4217 does not know.
    pub fn minor_digits(&self) -> u32 {
        iso_currency::Currency::from_code(&self.0)
            .and_then(|c| c.exponent())
            .map_or(2, u32::from)
    }

    /// Consumes into the code.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_type!(
    Currency,
    poem_openapi::registry::MetaSchema {
        pattern: Some("^[A-Za-z]{3}$".to_string()),
        min_length: Some(3),
        max_length: Some(3),
        ..string_schema(
            "An ISO 4217 currency code (upper-cased when stored).",
            "EUR"
        )
    }
);

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ToJSON};
    use serde_json::json;

    use super::*;

    #[test]
    fn currencies_are_three_letters_upper_cased() {
        assert_eq!(
            Currency::parse("eur").map(Currency::into_string),
            Ok("EUR".into())
        );
        assert_eq!(
            Currency::parse(" Brl ").map(Currency::into_string),
            Ok("BRL".into())
        );
        for bad in ["EURO", "EU", "", "E1R", "€UR"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn currencies_round_trip() {
        let code = Currency::parse_from_json(Some(json!("usd"))).ok();
        assert_eq!(code.as_ref().and_then(ToJSON::to_json), Some(json!("USD")));
        let via_serde: Result<Currency, _> = serde_json::from_value(json!("USD"));
        assert_eq!(via_serde.ok(), code);
        assert!(serde_json::from_value::<Currency>(json!("dollars")).is_err());
    }
}
