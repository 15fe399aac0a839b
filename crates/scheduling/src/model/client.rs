//! A professional's clients and the notes kept on them.

use poem_openapi::{Object, types::MaybeUndefined};
use serde::Serialize;
use trellis_kernel::{
    Timestamp,
    types::{Email, Phone},
};
use validator::Validate;

use crate::ids::{ClientId, NoteId};

/// Add a client.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateClient {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// International phone.
    pub phone: Option<Phone>,
    /// Email.
    pub email: Option<Email>,
}

/// Change a client; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateClient {
    /// Name.
    pub name: Option<String>,
    /// International phone.
    pub phone: MaybeUndefined<Phone>,
    /// Email.
    pub email: MaybeUndefined<Email>,
}

/// A client.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientView {
    /// The id.
    pub id: ClientId,
    /// Name.
    pub name: String,
    /// E.164 phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Added.
    pub created_at: Timestamp,
}

/// Write a note.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateNote {
    /// Text.
    #[validate(length(min = 1, max = 10000))]
    pub body: String,
}

/// A note.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct NoteView {
    /// The id.
    pub id: NoteId,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: Timestamp,
}
