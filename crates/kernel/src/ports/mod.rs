//! What domains need from each other, as traits. The gateway wires the
//! implementations, so domain crates never depend on one another.
//!
//! One file per concern: [`access`] (organization membership and roles),
//! [`billable_time`] (time tracking's unbilled time, for invoices),
//! [`desk`] (what an assistant may read and do for a professional),
//! [`entitlements`] (what a plan allows) and [`people`] (how to reach an
//! account's person). Telling people things is not a port but an outbox
//! event: see [`notify`](crate::notify), so the request commits with the
//! change it tells about.

pub mod access;
pub mod billable_time;
pub mod desk;
pub mod entitlements;
pub mod people;

pub use access::{
    AccessError, Memberships, OrgAccess, OrgRole, Profile, check_org_role, require_org_role,
};
pub use billable_time::{BillableClient, BillableTime, BillableTimeError, UnbilledTime};
pub use desk::{DeskError, ProfessionalDesk};
pub use entitlements::{Allowance, Entitlements, Limit, LimitReached, Unlimited};
pub use people::People;
