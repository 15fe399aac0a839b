//! `projects`.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

use crate::{
    ids::{AgencyClientId, ProjectId},
    model::ProjectStatus,
};

/// A project.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ProjectId,
    /// Whose project.
    pub org_id: OrgId,
    /// For which client.
    pub client_id: AgencyClientId,
    /// Name.
    pub name: String,
    /// Short code, unique in the organization.
    pub code: Option<String>,
    /// Active or archived.
    pub status: ProjectStatus,
    /// Billable by default.
    pub billable: bool,
    /// Hourly rate, minor units.
    pub hourly_rate_minor: Option<i64>,
    /// Budget in hours.
    pub budget_hours: Option<i32>,
    /// `#rrggbb`.
    pub color: Option<String>,
    /// Started.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
