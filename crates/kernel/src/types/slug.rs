//! Public handles.

use std::fmt;

use super::{string_schema, string_type};

/// A public handle, as in a booking link: 3 to 64 of `a-z`, `0-9` and `-`,
/// not starting or ending with `-`. Words a domain reserves are its own rule.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// The OpenAPI format.
    pub const FORMAT: &'static str = "slug";

    /// Checks the shape; nothing is trimmed or lowercased.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let valid = (3..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if !valid {
            return Err("must be 3 to 64 of a-z, 0-9 and -, not starting or ending with -");
        }
        Ok(Self(raw.to_string()))
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the handle.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_type!(
    Slug,
    poem_openapi::registry::MetaSchema {
        pattern: Some("^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$".to_string()),
        min_length: Some(3),
        max_length: Some(64),
        ..string_schema(
            "A public handle: 3 to 64 of a-z, 0-9 and -, not starting or ending with -.",
            "ana-lima",
        )
    }
);

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ToJSON};
    use serde_json::json;

    use super::*;

    #[test]
    fn slugs_have_one_shape() {
        assert_eq!(
            Slug::parse("ana-lima-2").map(Slug::into_string),
            Ok("ana-lima-2".into())
        );
        assert!(Slug::parse("abc").is_ok());
        assert!(Slug::parse(&"a".repeat(64)).is_ok());
        for bad in [
            "ab", "Ana", "-ana", "ana-", "ana lima", "ana_lima", "ãna", " ana",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert!(Slug::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn slugs_round_trip() {
        let slug = Slug::parse_from_json(Some(json!("ana-lima"))).ok();
        assert_eq!(
            slug.as_ref().and_then(ToJSON::to_json),
            Some(json!("ana-lima"))
        );
        let via_serde: Result<Slug, _> = serde_json::from_value(json!("ana-lima"));
        assert_eq!(via_serde.ok(), slug);
        assert!(serde_json::from_value::<Slug>(json!("-")).is_err());
        assert_eq!(
            serde_json::to_value(Slug::parse("ana-lima").ok()).ok(),
            Some(json!("ana-lima"))
        );
    }
}
