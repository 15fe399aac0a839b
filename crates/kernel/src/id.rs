//! Typed, time-ordered identifiers.
//!
//! Every entity id is a UUID v7 wrapped in its own newtype, so a function that
//! takes an `OrgId` cannot be handed a `UserId`, and ids sort by creation time
//! (which keeps B-tree inserts local and makes ids usable as cursor tie-breakers).

/// Declares a typed UUID v7 id usable in SeaORM entities, serde and poem-openapi.
///
/// The calling crate must depend on `sea-orm`, `serde`, `uuid` and `poem-openapi`
/// (every domain crate does).
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
            ::sea_orm::DeriveValueType,
            ::poem_openapi::NewType,
        )]
        #[serde(transparent)]
        #[oai(to_header = false, from_multipart = false)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn into_uuid(self) -> ::uuid::Uuid {
                self.0
            }
        }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl ::std::convert::From<::uuid::Uuid> for $name {
            fn from(id: ::uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl ::std::convert::From<$name> for ::uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl ::sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> ::std::result::Result<Self, ::sea_orm::DbErr> {
                Err(::sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }
    };
}

typed_id!(
    /// A user account (people, staff and anonymous users alike).
    UserId
);
typed_id!(
    /// A refresh-token family: one signed-in device or browser.
    SessionId
);
typed_id!(
    /// An organization: the unit that owns data, members and a plan.
    OrgId
);

typed_id!(
    /// A domain event in the outbox.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b, "v7 ids sort by creation");
    }

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = OrgId::new();
        let text = id.to_string();
        assert_eq!(text.parse::<OrgId>().ok(), Some(id));
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, format!("\"{text}\""));
        assert!("not-a-uuid".parse::<OrgId>().is_err());
    }

    #[test]
    fn serde_writes_an_id_as_to_json_does() {
        crate::testing::assert_same_json(&UserId::new());
        crate::testing::assert_same_json(&Some(OrgId::new()));
    }
}
