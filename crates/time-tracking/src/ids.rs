//! Typed ids of the time-tracking domain.
//!
//! `AgencyClientId` is deliberately not called `ClientId`: scheduling has
//! clients too (a professional's customers), and the two must never be
//! handed to one another.

use trellis_kernel::typed_id;

typed_id!(
    /// A client of the agency (a company it works for), not scheduling's client.
    AgencyClientId
);
typed_id!(
    /// A project done for an agency client.
    ProjectId
);
typed_id!(
    /// A task of a project.
    TaskId
);
typed_id!(
    /// A comment on a task.
    CommentId
);
typed_id!(
    /// A span of time a member worked (or a running timer).
    TimeEntryId
);
typed_id!(
    /// One CSV import, in the organization's import history.
    ImportId
);
