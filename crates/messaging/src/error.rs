//! The messaging domain's errors. `Display` is safe to show a user.

use crate::files::BlobError;
use sea_orm::{DbErr, SqlErr};
use trellis_kernel::{
    DomainError, ErrorKind, FieldError,
    error::{db_error_kind, field_errors},
    ports::AccessError,
};

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything messaging operations can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields failed validation.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// No such room, or the caller is not a member (the same answer, so
    /// rooms cannot be probed).
    #[error("room not found")]
    RoomNotFound,
    /// No such message in the room.
    #[error("message not found")]
    MessageNotFound,
    /// No such user (a direct room's other person, a member to add).
    #[error("user not found")]
    UserNotFound,
    /// No such member in the room.
    #[error("member not found")]
    MemberNotFound,
    /// Only a room admin may do this.
    #[error("only a room admin can do this")]
    AdminRequired,
    /// Only the author may change or delete a message.
    #[error("only the author can change this message")]
    NotAuthor,
    /// A direct room's two members are fixed.
    #[error("a direct room's members cannot change")]
    DirectRoom,
    /// The last admin of a group with other members must hand over first.
    #[error("the last admin cannot leave; make another member admin first")]
    LastAdmin,
    /// The user is a member already.
    #[error("this user is a member already")]
    AlreadyMember,
    /// Only members of the owning organization may join its rooms.
    #[error("only members of the room's organization can join it")]
    NotOrgMember,
    /// A deleted message cannot be edited.
    #[error("this message was deleted")]
    MessageDeleted,
    /// No such file, or not the caller's to see (the same answer).
    #[error("file not found")]
    FileNotFound,
    /// An upload without bytes.
    #[error("the file is empty")]
    EmptyFile,
    /// An upload over the size limit.
    #[error("the file is larger than {max} bytes")]
    FileTooLarge {
        /// The limit.
        max: usize,
    },
    /// The bytes are of a type that is not allowed.
    #[error("files of type {0} are not allowed")]
    TypeNotAllowed(String),
    /// The type the client declared is not what the bytes are.
    #[error("the file was declared {declared} but its content is {sniffed}")]
    TypeMismatch {
        /// What the client said.
        declared: String,
        /// What the bytes are.
        sniffed: String,
    },
    /// A signed link whose signature is not ours.
    #[error("this link is not valid")]
    LinkInvalid,
    /// A signed link past its expiry.
    #[error("this link has expired")]
    LinkExpired,
    /// No such notification delivery.
    #[error("notification delivery not found")]
    DeliveryNotFound,
    /// Only a failed or dead delivery is retried by hand.
    #[error("only a failed or dead delivery can be retried; this one is {0}")]
    DeliveryNotRetryable(&'static str),
    /// The delivery carried a one-time secret, erased when it settled.
    #[error(
        "this delivery carried a one-time code or link, erased when it settled; the person must ask again"
    )]
    DeliveryErased,
    /// Security notifications cannot be switched off.
    #[error("security notifications cannot be turned off: {}", .0.join(", "))]
    SecurityKinds(Vec<String>),
    /// No such push device of the caller's.
    #[error("device not found")]
    DeviceNotFound,
    /// An unsubscribe token that is not ours.
    #[error("this unsubscribe link is not valid")]
    UnsubscribeInvalid,
    /// The blob store failed.
    #[error("file storage error")]
    Storage(#[from] BlobError),
    /// Organization access refused.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
}

impl Error {
    /// A single invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A failed insert of a user id: a missing user breaks a foreign key.
    pub(crate) fn user_reference(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::UserNotFound,
            _ => Self::Database(err),
        }
    }
}

impl From<validator::ValidationErrors> for Error {
    fn from(errors: validator::ValidationErrors) -> Self {
        Self::Validation(field_errors(&errors))
    }
}

impl From<trellis_kernel::pagination::PageError> for Error {
    fn from(err: trellis_kernel::pagination::PageError) -> Self {
        Self::Validation(err.field_errors())
    }
}

impl DomainError for Error {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::Validation(_)
            | Self::NotOrgMember
            | Self::EmptyFile
            | Self::FileTooLarge { .. }
            | Self::TypeNotAllowed(_)
            | Self::TypeMismatch { .. }
            | Self::SecurityKinds(_) => K::Unprocessable,
            Self::RoomNotFound
            | Self::MessageNotFound
            | Self::UserNotFound
            | Self::MemberNotFound
            | Self::FileNotFound
            | Self::DeliveryNotFound
            | Self::DeviceNotFound => K::NotFound,
            Self::AdminRequired
            | Self::NotAuthor
            | Self::LinkInvalid
            | Self::LinkExpired
            | Self::UnsubscribeInvalid => K::Forbidden,
            Self::DirectRoom
            | Self::LastAdmin
            | Self::AlreadyMember
            | Self::MessageDeleted
            | Self::DeliveryNotRetryable(_)
            | Self::DeliveryErased => K::Conflict,
            // A row whose blob is gone is our fault; anything else is the
            // store being unreachable or refusing.
            Self::Storage(BlobError::NotFound) => K::Internal,
            Self::Storage(_) => K::Unavailable,
            Self::Access(e) => e.kind(),
            Self::Database(e) => db_error_kind(e),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "request.validation_failed",
            Self::RoomNotFound => "room.not_found",
            Self::MessageNotFound => "message.not_found",
            Self::UserNotFound => "user.not_found",
            Self::MemberNotFound => "room.member_not_found",
            Self::AdminRequired => "room.admin_required",
            Self::NotAuthor => "message.not_author",
            Self::DirectRoom => "room.direct",
            Self::LastAdmin => "room.last_admin",
            Self::AlreadyMember => "room.already_member",
            Self::NotOrgMember => "room.not_org_member",
            Self::MessageDeleted => "message.deleted",
            Self::FileNotFound => "file.not_found",
            Self::EmptyFile => "file.empty",
            Self::FileTooLarge { .. } => "file.too_large",
            Self::TypeNotAllowed(_) => "file.type_not_allowed",
            Self::TypeMismatch { .. } => "file.type_mismatch",
            Self::LinkInvalid => "file.link_invalid",
            Self::LinkExpired => "file.link_expired",
            Self::DeliveryNotFound => "notification.not_found",
            Self::DeliveryNotRetryable(_) => "notification.not_retryable",
            Self::DeliveryErased => "notification.content_erased",
            Self::SecurityKinds(_) => "notification.security_kind",
            Self::DeviceNotFound => "device.not_found",
            Self::UnsubscribeInvalid => "notification.unsubscribe_invalid",
            Self::Storage(_) => "file.storage_unavailable",
            Self::Access(e) => e.code(),
            Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            Self::SecurityKinds(kinds) => kinds
                .iter()
                .map(|kind| {
                    FieldError::new("preferences", format!("{kind} is a security notification"))
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}
