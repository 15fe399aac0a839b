//! The professional: the domain type (not a table row), its profile
//! commands and views.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use poem_openapi::{Object, types::MaybeUndefined};
use serde::Serialize;
use trellis_kernel::Timestamp;
use trellis_kernel::id::{OrgId, UserId};
use trellis_kernel::types::{Slug, TimeZone};
use validator::Validate;

use super::ServiceView;
use crate::{entities::professional, ids::ProfessionalId};

/// A professional: who offers services, in which zone, for which organization.
///
/// Services take `&Professional` for the caller's own scheduling data; the
/// gateway resolves it once per request (its `ProfessionalCaller` extractor).
#[derive(Debug, Clone, PartialEq)]
pub struct Professional {
    /// The id.
    pub id: ProfessionalId,
    /// The user who runs it.
    pub user_id: UserId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// Public handle in booking links.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About.
    pub bio: Option<String>,
    /// The zone of the working hours (validated when stored).
    pub time_zone: Tz,
    /// When the profile was created.
    pub created_at: DateTime<Utc>,
}

impl Professional {
    /// The profile as its owner sees it.
    pub fn view(&self) -> super::ProfessionalView {
        crate::view::professional(self)
    }
}

impl From<professional::Model> for Professional {
    fn from(row: professional::Model) -> Self {
        Self {
            time_zone: crate::view::parse_stored_zone(&row.time_zone),
            id: row.id,
            user_id: row.user_id,
            org_id: row.org_id,
            slug: row.slug,
            name: row.name,
            bio: row.bio,
            created_at: row.created_at,
        }
    }
}

/// Create the caller's professional profile.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateProfessional {
    /// Public handle: 3 to 64 of a-z, 0-9 and `-`; some words are reserved.
    pub slug: Slug,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// IANA time zone of the working hours, such as `Europe/Lisbon`.
    pub time_zone: TimeZone,
    /// About.
    #[validate(length(max = 5000))]
    pub bio: Option<String>,
    /// The organization it belongs to; omitted, a personal one is created.
    pub org_id: Option<OrgId>,
}

/// Change the caller's profile; absent fields stay.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateProfessional {
    /// Display name.
    pub name: Option<String>,
    /// About (`null` clears).
    pub bio: MaybeUndefined<String>,
    /// IANA time zone.
    pub time_zone: Option<TimeZone>,
}

/// A professional, as its owner sees it.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ProfessionalView {
    /// The id.
    pub id: ProfessionalId,
    /// Public handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// IANA time zone.
    pub time_zone: String,
    /// The organization.
    pub org_id: OrgId,
    /// Created.
    pub created_at: Timestamp,
}

/// A professional, as anyone sees it.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct PublicProfessional {
    /// Public handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// IANA time zone.
    pub time_zone: String,
    /// Services open for booking.
    pub services: Vec<ServiceView>,
    /// Average review rating (1 to 5), absent without reviews.
    // Never NaN (a mean of at least one rating): where serde writes NaN as
    // `null`, `ToJSON` would omit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_average: Option<f64>,
    /// Number of reviews.
    pub rating_count: u64,
    /// Number of followers.
    pub follower_count: u64,
}
