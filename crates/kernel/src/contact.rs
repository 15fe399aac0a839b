//! Contact details, parsed once into types that are known to be valid.

use std::fmt;

use validator::ValidateEmail;

use crate::types::{string_schema, string_type};

/// A normalised email address (trimmed, lowercase, at most 254 bytes).
///
/// Serialized as its text; deserializing parses again, so a stored or queued
/// address is as trustworthy as a fresh one.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The OpenAPI format.
    pub const FORMAT: &'static str = "email";

    /// Parses and normalises an address.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.len() > 254 || !email.validate_email() {
            return Err("must be a valid email address");
        }
        Ok(Self(email))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the address.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`+` and 8 to 15 digits).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// The OpenAPI format.
    pub const FORMAT: &'static str = "phone";

    /// Parses a number written with an international prefix (`+` or `00`);
    /// spaces, dots, dashes and parentheses are ignored.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const MESSAGE: &str = "must be an international phone number such as +14155550123";
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '/'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"))
            .ok_or(MESSAGE)?;
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(MESSAGE);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but its last two digits masked, for logs.
    pub fn masked(&self) -> String {
        let keep = self.0.len().saturating_sub(2);
        format!("{}{}", "*".repeat(keep), &self.0[keep..])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_type!(
    Email,
    poem_openapi::registry::MetaSchema {
        max_length: Some(254),
        ..string_schema(
            "An email address (trimmed and lowercased).",
            "ana@example.com"
        )
    }
);

string_type!(
    Phone,
    string_schema(
        "An international phone number (+ or 00, then 8 to 15 digits; spaces, dots, \
         dashes and parentheses ignored), kept in E.164.",
        "+351912345678"
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").map(|e| e.into_string()),
            Ok("ana@example.com".to_string())
        );
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(260))).is_err());
    }

    #[test]
    fn phones_become_e164() {
        let ok = |raw: &str| Phone::parse(raw).map(|p| p.as_str().to_string());
        assert_eq!(ok("+351 912 345 678"), Ok("+351912345678".into()));
        assert_eq!(ok("0055 (11) 98765-4321"), Ok("+5511987654321".into()));
        assert!(ok("912345678").is_err(), "no international prefix");
        assert!(ok("+0123456789").is_err());
        assert!(ok("+12").is_err());
        assert!(ok("+1234567890123456").is_err());
        assert!(ok("+1 555 CALL NOW").is_err());
        assert_eq!(
            Phone::parse("+351912345678").map(|p| p.masked()),
            Ok("***********78".into())
        );
    }

    #[test]
    fn contacts_round_trip() {
        use poem_openapi::types::{ParseFromJSON, ToJSON};
        use serde_json::json;

        let email = Email::parse_from_json(Some(json!(" Ana@Example.com")));
        assert_eq!(
            email.ok().and_then(|e| e.to_json()),
            Some(json!("ana@example.com"))
        );
        assert!(Email::parse_from_json(Some(json!("nope"))).is_err());
        let phone: Result<Phone, _> = serde_json::from_value(json!("0055 11 98765 4321"));
        assert_eq!(
            phone.ok().and_then(|p| serde_json::to_value(p).ok()),
            Some(json!("+5511987654321"))
        );
        assert!(serde_json::from_value::<Phone>(json!("12")).is_err());
    }
}
