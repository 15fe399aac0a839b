//! SeaORM entities, one per table.

pub mod membership;
pub mod one_time_token;
pub mod organization;
pub mod otp_code;
pub mod refresh_token;
pub mod session;
pub mod user;
