//! Probes, the spec and its rules, errors, rate limits, runtime settings,
//! and several gateways sharing the work.

mod errors;
mod events;
mod instances;
mod probes;
mod rate_limit;
mod settings;
mod spec;
