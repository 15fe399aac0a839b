//! Instants on the wire: RFC 3339 in UTC with a `Z`, as the API promises.
//!
//! poem-openapi writes `DateTime<Utc>` as `+00:00`; views use [`Timestamp`]
//! instead, so every instant a client reads looks like `2026-11-22T10:00:00Z`
//! (fractional seconds only when present). Input still accepts any RFC 3339
//! offset and is converted to UTC.
//!
//! It serializes with serde to the same text as its `ToJSON`, so responses
//! written straight to bytes (the gateway's `JsonResponse`) read the same.

use std::{borrow::Cow, fmt};

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// `d` as a chrono span, saturating at the largest one (a configured
/// duration is never too long to add to an instant by mistake).
pub fn span(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A UTC instant written with `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The RFC 3339 text with `Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

fn parse(text: &str) -> ParseResult<Timestamp> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| Timestamp(t.with_timezone(&Utc)))
        .map_err(|e| ParseError::custom(e.to_string()))
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => parse(&text),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ParseFromParameter for Timestamp {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        parse(value)
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.to_rfc3339()))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn written_with_z_and_parsed_from_any_offset() {
        let t = Timestamp(
            Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
                .single()
                .unwrap_or_default(),
        );
        assert_eq!(
            t.to_json(),
            Some(Value::String("2026-11-22T10:00:00Z".into()))
        );
        let micros = Timestamp(t.0 + chrono::Duration::microseconds(1500));
        assert_eq!(micros.to_rfc3339(), "2026-11-22T10:00:00.001500Z");
        let parsed =
            Timestamp::parse_from_json(Some(Value::String("2026-11-22T07:00:00-03:00".into())));
        assert_eq!(parsed.ok(), Some(t));
    }

    #[test]
    fn serde_writes_what_to_json_writes() {
        let t = Timestamp(
            Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
                .single()
                .unwrap_or_default(),
        );
        for t in [t, Timestamp(t.0 + chrono::Duration::microseconds(1500))] {
            crate::testing::assert_same_json(&t);
        }
    }
}
