//! Commands and views of the vault API.
//!
//! No view but [`RevealedSecret`] carries a secret, and its `Debug` does
//! not print it. Commands that carry a secret (`CreateCredential`,
//! `UpdateCredential`) redact it from `Debug` and wipe it on drop. Views
//! omit an absent optional field and derive `Serialize` mirroring their
//! `#[oai]` attributes (checked by the tests below).

mod credential;
mod reveal;

pub use credential::{
    CreateCredential, CredentialFilter, CredentialKind, CredentialView, UpdateCredential,
};
pub use reveal::{
    CredentialVersionView, GrantView, RevealContext, RevealView, RevealedSecret, RotationReport,
};

#[cfg(test)]
mod tests;
