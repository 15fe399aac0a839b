//! The HTTP surface: every domain's API composed into two OpenAPI services,
//! one per listener. Add a domain by adding its API struct to a tuple below
//! (nest tuples to pass poem-openapi's tuple size limit).

pub mod appointments;
pub mod auth;
pub mod booking;
pub mod clients;
pub mod common;
pub mod cron;
pub mod orgs;
pub mod professionals;
pub mod recurring;
pub mod settings;
pub mod social;
pub mod staff;
pub mod system;
pub mod users;

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
}

/// Operations on the public listener, nested to stay within poem-openapi's tuple size.
pub type PublicApi = (
    system::SystemApi,
    (auth::AuthApi, users::UsersApi, orgs::OrgsApi),
    (
        professionals::ProfessionalsApi,
        clients::ClientsApi,
        booking::BookingApi,
        appointments::AppointmentsApi,
        social::SocialApi,
        recurring::RecurringApi,
    ),
);

/// Operations on the internal listener.
pub type InternalApi = (
    system::SystemApi,
    settings::SettingsApi,
    staff::StaffApi,
    cron::CronApi,
);

const DESCRIPTION: &str = "The backend of small service businesses and agencies: identity, scheduling, \
     messaging, billing, credentials vault and time tracking. Errors are \
     `application/problem+json` (RFC 9457) with a stable `code`.";

/// The public API and its spec.
pub fn public_service() -> OpenApiService<PublicApi, ()> {
    let apis = (
        system::SystemApi,
        (auth::AuthApi, users::UsersApi, orgs::OrgsApi),
        (
            professionals::ProfessionalsApi,
            clients::ClientsApi,
            booking::BookingApi,
            appointments::AppointmentsApi,
            social::SocialApi,
            recurring::RecurringApi,
        ),
    );
    OpenApiService::new(apis, "Trellis API", env!("CARGO_PKG_VERSION")).description(DESCRIPTION)
}

/// The internal (control-center) API and its spec.
pub fn internal_service() -> OpenApiService<InternalApi, ()> {
    let apis = (
        system::SystemApi,
        settings::SettingsApi,
        staff::StaffApi,
        cron::CronApi,
    );
    OpenApiService::new(apis, "Trellis internal API", env!("CARGO_PKG_VERSION"))
        .description("Control-center operations, served only on the internal listener.")
}
