//! The HTTP surface: every domain's API composed into two OpenAPI services,
//! one per listener.
//!
//! Each domain is one folder, `api/<domain>/`, whose `mod.rs` names the
//! domain's `Public` and `Internal` operation tuples (nest tuples past
//! poem-openapi's limit of 16). Adding a domain is one line in each tuple
//! below and a tag in [`ApiTags`].

pub mod assistant;
pub mod billing;
pub mod common;
pub mod identity;
pub mod json;
pub mod messaging;
pub mod scheduling;
pub mod system;
pub mod time;
pub mod vault;

use poem_openapi::{OpenApiService, Tags};

/// One tag per domain, so Swagger UI groups operations the way API.md does.
#[derive(Tags)]
pub enum ApiTags {
    /// Health, readiness and runtime settings.
    #[oai(rename = "system")]
    System,
    /// Accounts, sessions, organizations and members.
    #[oai(rename = "identity")]
    Identity,
    /// Professionals, services, availability, bookings and appointments.
    #[oai(rename = "scheduling")]
    Scheduling,
    /// Rooms, members, messages, read receipts, files, the realtime socket,
    /// and notifications: preferences, push devices, unsubscribe links and
    /// (internal) deliveries.
    #[oai(rename = "messaging")]
    Messaging,
    /// An agency's clients, projects, tasks and comments, time entries and
    /// timers, summary reports and time settings, per organization.
    #[oai(rename = "time")]
    Time,
    /// Client secrets encrypted at rest: credentials, versions, reveals
    /// and their audit trail, grants, and (internal) master-key rotation.
    #[oai(rename = "vault")]
    Vault,
    /// Plans and what they allow, an organization's subscription through
    /// Stripe (checkout, portal, webhooks), and invoices to its clients.
    #[oai(rename = "billing")]
    Billing,
    /// An assistant for professionals: questions about their day in words,
    /// four tools, confirmation before a change, conversations and usage.
    #[oai(rename = "assistant")]
    Assistant,
}

/// Operations on the public listener: one line per domain.
pub type PublicApi = (
    system::Public,
    identity::Public,
    scheduling::Public,
    messaging::Public,
    time::Public,
    vault::Public,
    billing::Public,
    assistant::Public,
);

/// Operations on the internal listener: one line per domain.
pub type InternalApi = (
    system::Internal,
    identity::Internal,
    scheduling::Internal,
    messaging::Internal,
    time::Internal,
    vault::Internal,
    billing::Internal,
    assistant::Internal,
);

const DESCRIPTION: &str = "The backend of small service businesses and agencies: identity, scheduling, \
     messaging, billing, credentials vault, time tracking and an assistant. Errors are \
     `application/problem+json` (RFC 9457) with a stable `code`.";

/// The public API and its spec.
pub fn public_service() -> OpenApiService<PublicApi, ()> {
    OpenApiService::new(
        PublicApi::default(),
        "Trellis API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
}

/// The internal (control-center) API and its spec.
pub fn internal_service() -> OpenApiService<InternalApi, ()> {
    OpenApiService::new(
        InternalApi::default(),
        "Trellis internal API",
        env!("CARGO_PKG_VERSION"),
    )
    .description("Control-center operations, served only on the internal listener.")
}
