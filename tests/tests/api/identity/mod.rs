//! Accounts, sessions, organizations, phone codes and the control center.

mod accounts;
mod boundary;
mod orgs;
mod otp;
mod sessions;
mod staff;
