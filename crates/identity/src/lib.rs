//! Identity: who is calling, and may they.
//!
//! Accounts (email + Argon2id password, phone codes, anonymous users),
//! sessions as refresh-token families with reuse detection, single-use email
//! links, organizations with owner/admin/member roles, and the staff's user
//! management. Other domains reach memberships through the kernel's
//! `Memberships` port, implemented here by [`service::MembershipDirectory`].

pub(crate) mod entities;
pub mod error;
pub mod model;
pub mod password;
pub mod secret;
pub mod service;
pub(crate) mod view;

pub use error::{Error, Result};
pub use service::{Identity, IdentityConfig, IdentityDeps};
