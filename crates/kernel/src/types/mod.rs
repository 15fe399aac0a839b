//! Values that are valid by construction: parsed once where they enter (a
//! request body, a query parameter, a setting) and trusted after.
//!
//! Each travels as a string. In the OpenAPI schema it is `type: string` with
//! a `format` of its own (and a `pattern` where one can say it); in a request
//! it is parsed by its own `ParseFromJSON`/`ParseFromParameter`, so a command
//! holding a [`Slug`] holds a valid one. A value that fails its parse fails
//! the body (poem-openapi stops at the first such field and does not name
//! it); [`parse_failure`] and [`check_format`] let the gateway tell that
//! apart from malformed JSON and name every refused field in a 422.

mod currency;
mod local_time;
mod slug;
mod time_zone;

pub use currency::Currency;
pub use local_time::LocalTime;
pub use slug::Slug;
pub use time_zone::TimeZone;

pub use crate::contact::{Email, Phone};

/// The prefix of poem-openapi's message when a type's own parse refuses a
/// value (`ParseError::custom`); the type's name follows in quotes.
const FAILED_TO_PARSE: &str = "failed to parse \"";

/// A type's parse, keeping only its verdict.
type Check = fn(&str) -> Result<(), &'static str>;

/// Every format of this module, with the parse that checks it.
const FORMATS: &[(&str, Check)] = &[
    (Email::FORMAT, |raw| Email::parse(raw).map(drop)),
    (Phone::FORMAT, |raw| Phone::parse(raw).map(drop)),
    (Slug::FORMAT, |raw| Slug::parse(raw).map(drop)),
    (TimeZone::FORMAT, |raw| TimeZone::parse(raw).map(drop)),
    (Currency::FORMAT, |raw| Currency::parse(raw).map(drop)),
    (LocalTime::FORMAT, |raw| LocalTime::parse(raw).map(drop)),
];

/// Checks `raw` against the type whose OpenAPI `format` is `format`: `None`
/// when no type of this module has that format, else what its parse says.
pub fn check_format(format: &str, raw: &str) -> Option<Result<(), &'static str>> {
    FORMATS
        .iter()
        .find(|(f, _)| *f == format)
        .map(|(_, check)| check(raw))
}

/// If a poem-openapi parse error says a type of this module refused its
/// input (rather than the JSON having the wrong shape), the reason it gave.
pub fn parse_failure(message: &str) -> Option<&str> {
    let rest = message.strip_prefix(FAILED_TO_PARSE)?;
    let (name, reason) = rest.split_once("\": ")?;
    let format = name.strip_prefix("string_")?;
    FORMATS.iter().find(|(f, _)| *f == format)?;
    // Nested types append where it happened; the reason is what comes before.
    Some(
        reason
            .split(" (occurred while parsing")
            .next()
            .unwrap_or(reason),
    )
}

/// Implements the wire side of a string value type: poem-openapi's `Type`
/// (inline `type: string` with the format and the extra schema given),
/// `ParseFromJSON`, `ParseFromParameter` and `ToJSON`, plus `FromStr`,
/// `TryFrom<String>` and `From<_> for String` (which serde uses).
///
/// The type needs an inherent `FORMAT` const, `parse(&str) -> Result<Self,
/// &'static str>` and a `Display` that writes its wire form.
macro_rules! string_type {
    ($ty:ident, $schema:expr) => {
        impl ::poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> ::std::borrow::Cow<'static, str> {
                format!("string_{}", Self::FORMAT).into()
            }

            fn schema_ref() -> ::poem_openapi::registry::MetaSchemaRef {
                let schema: ::poem_openapi::registry::MetaSchema = $schema;
                ::poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
                    ::poem_openapi::registry::MetaSchema {
                        format: Some(Self::FORMAT),
                        ..schema
                    },
                ))
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

        impl ::poem_openapi::types::ParseFromJSON for $ty {
            fn parse_from_json(
                value: Option<::serde_json::Value>,
            ) -> ::poem_openapi::types::ParseResult<Self> {
                match value.unwrap_or_default() {
                    ::serde_json::Value::String(text) => {
                        Self::parse(&text).map_err(::poem_openapi::types::ParseError::custom)
                    }
                    other => Err(::poem_openapi::types::ParseError::expected_type(other)),
                }
            }
        }

        impl ::poem_openapi::types::ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ::poem_openapi::types::ParseResult<Self> {
                Self::parse(value).map_err(::poem_openapi::types::ParseError::custom)
            }
        }

        impl ::poem_openapi::types::ToJSON for $ty {
            fn to_json(&self) -> Option<::serde_json::Value> {
                Some(::serde_json::Value::String(self.to_string()))
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = &'static str;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = &'static str;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> Self {
                value.to_string()
            }
        }
    };
}

pub(crate) use string_type;

/// The schema of a string value type, before the macro adds its format.
pub(crate) fn string_schema(title: &str, example: &str) -> poem_openapi::registry::MetaSchema {
    poem_openapi::registry::MetaSchema {
        title: Some(title.to_string()),
        example: Some(serde_json::Value::String(example.to_string())),
        ..poem_openapi::registry::MetaSchema::new("string")
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ParseFromParameter};
    use serde_json::json;

    use super::*;

    #[test]
    fn formats_dispatch_to_their_parse() {
        assert_eq!(check_format("slug", "ana-lima"), Some(Ok(())));
        assert!(matches!(check_format("slug", "Ana"), Some(Err(_))));
        assert!(matches!(check_format("local-time", "25:00"), Some(Err(_))));
        assert_eq!(check_format("uuid", "anything"), None);
    }

    #[test]
    fn parse_failures_are_told_apart_from_wrong_json() {
        let slug = Slug::parse_from_json(Some(json!("-x-")))
            .err()
            .map(|e| e.into_message());
        let slug = slug.unwrap_or_default();
        assert_eq!(
            parse_failure(&format!(
                "{slug} (occurred while parsing \"CreateProfessional\")"
            )),
            Some("must be 3 to 64 of a-z, 0-9 and -, not starting or ending with -")
        );
        let zone = TimeZone::parse_from_parameter("Mars/Base")
            .err()
            .map(|e| e.into_message());
        assert!(parse_failure(&zone.unwrap_or_default()).is_some());
        let wrong_type = Slug::parse_from_json(Some(json!(5)))
            .err()
            .map(|e| e.into_message());
        assert_eq!(parse_failure(&wrong_type.unwrap_or_default()), None);
        assert_eq!(parse_failure("failed to parse \"Other\": nope"), None);
    }

    #[test]
    fn serde_writes_every_value_type_as_to_json_does() {
        use crate::testing::assert_same_json;

        let email = Email::parse("Ana@Example.com").ok();
        let phone = Phone::parse("+351 912 345 678").ok();
        let slug = Slug::parse("ana-lima").ok();
        let zone = TimeZone::parse("America/Sao_Paulo").ok();
        let currency = Currency::parse("eur").ok();
        let time = LocalTime::parse("24:00").ok();
        assert!(email.is_some() && phone.is_some() && slug.is_some());
        assert!(zone.is_some() && currency.is_some() && time.is_some());
        assert_same_json(&email);
        assert_same_json(&phone);
        assert_same_json(&slug);
        assert_same_json(&zone);
        assert_same_json(&currency);
        assert_same_json(&time);
    }
}
