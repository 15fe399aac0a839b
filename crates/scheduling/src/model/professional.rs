//! The professional as the domain knows it (not a table row).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use trellis_kernel::id::{OrgId, UserId};

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
