//! `agency_clients`: the companies an agency works for (named apart from
//! scheduling's `clients`, a professional's customers).

use sea_orm::entity::prelude::*;
use trellis_kernel::id::OrgId;

use crate::ids::AgencyClientId;

/// An agency client.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_clients")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AgencyClientId,
    /// Whose client.
    pub org_id: OrgId,
    /// Name.
    pub name: String,
    /// Normalised email.
    pub email: Option<String>,
    /// E.164 phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Default hourly rate, minor units.
    pub hourly_rate_minor: Option<i64>,
    /// Archived.
    pub archived: bool,
    /// Added.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
