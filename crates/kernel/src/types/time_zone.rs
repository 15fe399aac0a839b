//! IANA time zones.

use std::{fmt, str::FromStr};

use chrono_tz::Tz;

use super::{string_schema, string_type};

/// An IANA time zone, such as `Europe/Lisbon`; its name on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(Tz);

impl TimeZone {
    /// The OpenAPI format.
    pub const FORMAT: &'static str = "time-zone";

    /// UTC.
    pub const UTC: Self = Self(Tz::UTC);

    /// Parses a zone name (surrounding spaces ignored; names are case-sensitive).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Tz::from_str(raw.trim())
            .map(Self)
            .map_err(|_| "must be an IANA time zone such as Europe/Lisbon")
    }

    /// The zone, for date arithmetic.
    pub fn tz(self) -> Tz {
        self.0
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl From<Tz> for TimeZone {
    fn from(tz: Tz) -> Self {
        Self(tz)
    }
}

impl From<TimeZone> for Tz {
    fn from(zone: TimeZone) -> Self {
        zone.0
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

string_type!(
    TimeZone,
    string_schema("An IANA time zone name.", "Europe/Lisbon")
);

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ParseFromParameter, ToJSON};
    use serde_json::json;

    use super::*;

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse(" America/Sao_Paulo ").map(TimeZone::name),
            Ok("America/Sao_Paulo")
        );
        assert_eq!(TimeZone::parse("UTC"), Ok(TimeZone::UTC));
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
        assert!(TimeZone::parse_from_parameter("Europe/Lisbon").is_ok());
        assert!(TimeZone::parse_from_parameter("+01:00").is_err());
    }

    #[test]
    fn zones_round_trip() {
        let zone = TimeZone::parse_from_json(Some(json!("Europe/Lisbon"))).ok();
        assert_eq!(zone.and_then(|z| z.to_json()), Some(json!("Europe/Lisbon")));
        let via_serde: Result<TimeZone, _> = serde_json::from_value(json!("Europe/Lisbon"));
        assert_eq!(via_serde.ok(), zone);
        assert_eq!(serde_json::to_value(TimeZone::UTC).ok(), Some(json!("UTC")));
        assert!(serde_json::from_value::<TimeZone>(json!("Nowhere")).is_err());
    }
}
