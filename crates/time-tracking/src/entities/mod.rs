//! SeaORM entities, one per table. Crate-private: services return views.

pub mod agency_client;
pub mod project;
pub mod task;
pub mod task_comment;
pub mod time_entry;
pub mod time_import;
pub mod time_settings;
