//! The HTTP surface: every domain's API composed into two OpenAPI services,
//! one per listener. Add a domain by adding its API struct to a tuple below
//! (nest tuples to pass poem-openapi's tuple size limit).

pub mod settings;
pub mod system;

use poem_openapi::{OpenApiService, Tags};

/// One tag per domain, so Swagger UI groups operations the way API.md does.
#[derive(Tags)]
pub enum ApiTags {
    /// Health, readiness and runtime settings.
    #[oai(rename = "system")]
    System,
}

/// Operations on the public listener.
pub type PublicApi = system::SystemApi;
/// Operations on the internal listener.
pub type InternalApi = (system::SystemApi, settings::SettingsApi);

/// The public API and its spec.
pub fn public_service() -> OpenApiService<PublicApi, ()> {
    OpenApiService::new(system::SystemApi, "Trellis API", env!("CARGO_PKG_VERSION")).description(
        "The backend of small service businesses and agencies: identity, scheduling, \
             messaging, billing, credentials vault and time tracking. Errors are \
             `application/problem+json` (RFC 9457) with a stable `code`.",
    )
}

/// The internal (control-center) API and its spec.
pub fn internal_service() -> OpenApiService<InternalApi, ()> {
    OpenApiService::new(
        (system::SystemApi, settings::SettingsApi),
        "Trellis internal API",
        env!("CARGO_PKG_VERSION"),
    )
    .description("Control-center operations, served only on the internal listener.")
}
