//! The agency's clients: the companies it works for (never scheduling's
//! clients, who are a professional's customers).

use poem_openapi::{Object, types::MaybeUndefined};
use serde::Serialize;
use trellis_kernel::{
    Timestamp,
    types::{Currency, Email, Phone},
};
use validator::Validate;

use crate::ids::AgencyClientId;

/// Add a client.
#[derive(Debug, Clone, Object, Validate)]
pub struct CreateAgencyClient {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// Contact email.
    pub email: Option<Email>,
    /// Contact phone.
    pub phone: Option<Phone>,
    /// Postal address, as written.
    #[validate(length(max = 1000))]
    pub address: Option<String>,
    /// The currency its work is billed in.
    pub currency: Currency,
    /// Default hourly rate in minor units, for projects without their own.
    #[validate(range(min = 0, max = 1_000_000_000))]
    pub hourly_rate_minor: Option<i64>,
}

/// Change a client; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Object)]
pub struct UpdateAgencyClient {
    /// Name.
    pub name: Option<String>,
    /// Contact email.
    pub email: MaybeUndefined<Email>,
    /// Contact phone.
    pub phone: MaybeUndefined<Phone>,
    /// Postal address.
    pub address: MaybeUndefined<String>,
    /// Billing currency (entries already logged keep theirs).
    pub currency: Option<Currency>,
    /// Default hourly rate in minor units.
    pub hourly_rate_minor: MaybeUndefined<i64>,
    /// Archived clients stay in reports but out of pickers.
    pub archived: Option<bool>,
}

/// Which clients to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgencyClientFilter {
    /// Only archived (`true`) or only current (`false`) clients.
    pub archived: Option<bool>,
}

/// A client of the agency.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct AgencyClientView {
    /// The id.
    pub id: AgencyClientId,
    /// Name.
    pub name: String,
    /// Contact email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Contact phone (E.164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Default hourly rate in minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hourly_rate_minor: Option<i64>,
    /// Archived.
    pub archived: bool,
    /// Added.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
