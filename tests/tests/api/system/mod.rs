//! Probes, the spec, errors, rate limits and runtime settings.

mod errors;
mod events;
mod probes;
mod rate_limit;
mod settings;
