//! Projects done for the agency's clients.

use poem_openapi::{Enum, Object, types::MaybeUndefined};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use trellis_kernel::Timestamp;
use validator::{Validate, ValidationError};

use crate::ids::{AgencyClientId, ProjectId};

/// Whether a project takes new time.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProjectStatus {
    /// Work goes on.
    #[sea_orm(string_value = "active")]
    Active,
    /// Closed: kept for reports and invoices, no new time.
    #[sea_orm(string_value = "archived")]
    Archived,
}

/// True for `#rrggbb` (either case).
pub fn is_color(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn validate_color(value: &str) -> Result<(), ValidationError> {
    if is_color(value) {
        Ok(())
    } else {
        Err(ValidationError::new("color").with_message("must be a colour like #1a2b3c".into()))
    }
}

/// Start a project.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateProject {
    /// For which client.
    pub client_id: AgencyClientId,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// A short code, unique in the organization (`ACME-WEB`).
    #[validate(length(min = 1, max = 32))]
    pub code: Option<String>,
    /// Whether its time is billed by default (default true).
    pub billable: Option<bool>,
    /// Hourly rate in minor units; overrides the client's.
    #[validate(range(min = 0, max = 1_000_000_000))]
    pub hourly_rate_minor: Option<i64>,
    /// Budget in hours.
    #[validate(range(min = 0, max = 1_000_000))]
    pub budget_hours: Option<i32>,
    /// Colour, `#rrggbb`.
    #[validate(custom(function = "validate_color"))]
    pub color: Option<String>,
}

/// Change a project; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateProject {
    /// Move to another client of the organization.
    pub client_id: Option<AgencyClientId>,
    /// Name.
    pub name: Option<String>,
    /// Short code.
    pub code: MaybeUndefined<String>,
    /// Active or archived.
    pub status: Option<ProjectStatus>,
    /// Whether new time is billable by default.
    pub billable: Option<bool>,
    /// Hourly rate in minor units (entries already logged keep theirs).
    pub hourly_rate_minor: MaybeUndefined<i64>,
    /// Budget in hours.
    pub budget_hours: MaybeUndefined<i32>,
    /// Colour, `#rrggbb`.
    pub color: MaybeUndefined<String>,
}

/// Which projects to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProjectFilter {
    /// Only this client's.
    pub client_id: Option<AgencyClientId>,
    /// Only in this status.
    pub status: Option<ProjectStatus>,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ProjectView {
    /// The id.
    pub id: ProjectId,
    /// For which client.
    pub client_id: AgencyClientId,
    /// Name.
    pub name: String,
    /// Short code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Active or archived.
    pub status: ProjectStatus,
    /// Whether new time is billable by default.
    pub billable: bool,
    /// Hourly rate in minor units; absent: the client's applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hourly_rate_minor: Option<i64>,
    /// Budget in hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_hours: Option<i32>,
    /// Colour, `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Started.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
