//! SeaORM entities, one per table. Crate-private: services return views.

pub mod credential;
pub mod credential_grant;
pub mod credential_reveal;
pub mod credential_version;
pub mod org_key;
