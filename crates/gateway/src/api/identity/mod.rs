//! Identity: accounts, sessions, profiles, organizations and staff.

pub mod auth;
pub mod orgs;
pub mod staff;
pub mod users;

/// Identity operations on the public listener.
pub type Public = (auth::AuthApi, users::UsersApi, orgs::OrgsApi);

/// Identity operations on the internal listener (the control center).
pub type Internal = staff::StaffApi;
