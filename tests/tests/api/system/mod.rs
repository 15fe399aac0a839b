//! Probes, the spec and its rules, errors, rate limits and runtime settings.

mod errors;
mod events;
mod probes;
mod rate_limit;
mod settings;
mod spec;
