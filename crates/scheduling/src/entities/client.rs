//! `clients`: the people a professional serves.

use sea_orm::entity::prelude::*;
use trellis_kernel::id::UserId;

use crate::ids::{ClientId, ProfessionalId};

/// A client.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ClientId,
    /// Whose client.
    pub professional_id: ProfessionalId,
    /// The client's own account, when linked.
    pub user_id: Option<UserId>,
    /// Name.
    pub name: String,
    /// E.164 phone.
    pub phone: Option<String>,
    /// Normalised email.
    pub email: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
