//! What domains need from each other, as traits. The gateway wires the
//! implementations, so domain crates never depend on one another.
//!
//! One file per concern: [`delivery`] (email and text transports),
//! [`access`] (organization membership and roles), [`entitlements`] (what a
//! plan allows), [`people`] (how to reach an account's person) and
//! [`notifications`] (telling people things).

pub mod access;
pub mod delivery;
pub mod entitlements;
pub mod notifications;
pub mod people;

pub use access::{AccessError, Memberships, OrgAccess, OrgRole, check_org_role, require_org_role};
pub use delivery::{DeliveryError, Mailer, OutgoingEmail, OutgoingSms, SmsSender};
pub use entitlements::{Entitlements, Unlimited};
pub use notifications::{Notification, Notifier, Recipient};
pub use people::People;
