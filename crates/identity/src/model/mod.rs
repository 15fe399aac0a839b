//! Commands (what clients send) and views (what they get back), one file per
//! aggregate.
//!
//! These types are part of the domain's contract, so they carry their OpenAPI
//! schema (`Object`) and their field rules (`Validate`); services validate
//! every command before acting on it. Fields of the kernel's value types
//! (`Email`, `Phone`, `TimeZone`) arrive parsed and are trusted as they are.
//!
//! An optional field of a view is omitted when it has no value, never sent
//! as `null`: every `Object` a response carries is marked
//! `#[oai(skip_serializing_if_is_none)]`, so its `Option` fields are simply
//! absent (the spec lists them as not required, and says nothing of `null`).
//! Follow the same rule in every domain; the black-box suite checks every
//! response against the committed spec and fails on a `null`.
//!
//! The gateway writes views with serde (its `JsonResponse`, without
//! poem-openapi's `Value` tree), so every view also derives `Serialize`
//! mirroring its `#[oai]` attributes: each `Option` field carries
//! `#[serde(skip_serializing_if = "Option::is_none")]`. The tests below hold
//! serde and the schema to the same output.

mod account;
mod link;
mod org;
mod otp;
mod session;
mod staff;

pub use account::{
    ChangePasswordCommand, Profile, RegisterCommand, UpdateProfileCommand, UpgradeCommand,
    UserSummary,
};
pub use link::{PasswordResetConfirm, PasswordResetRequest, VerifyEmailCommand};
pub use org::{
    AddMemberCommand, ChangeRoleCommand, CreateOrgCommand, MemberView, OrgView, UpdateOrgCommand,
};
pub use otp::{OtpRequestCommand, OtpSent, OtpVerifyCommand};
pub use session::{
    AccessToken, AuthTokens, ClientInfo, LoginCommand, LogoutCommand, RefreshCommand, SessionView,
};
pub use staff::{StaffUserPatch, StaffUserView};

#[cfg(test)]
mod tests;
