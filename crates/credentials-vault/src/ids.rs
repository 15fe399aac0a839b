//! Typed ids of the credentials vault.

use trellis_kernel::typed_id;

typed_id!(
    /// A stored credential (its metadata and every version of its secret).
    CredentialId
);
typed_id!(
    /// One reveal of a credential, in its audit trail.
    RevealId
);
