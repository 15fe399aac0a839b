//! `client_notes`: the professional's notes about a client.

use sea_orm::entity::prelude::*;

use crate::ids::{ClientId, NoteId};

/// A note.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "client_notes")]
pub struct Model {
    /// The id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: NoteId,
    /// About whom.
    pub client_id: ClientId,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
