//! Probes, runtime settings and job triggers: the service itself.

pub mod cron;
pub mod events;
pub mod probes;
pub mod settings;

/// System operations on the public listener.
pub type Public = probes::SystemApi;

/// System operations on the internal listener.
pub type Internal = (
    probes::SystemApi,
    settings::SettingsApi,
    events::EventsApi,
    cron::CronApi,
);
