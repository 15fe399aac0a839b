//! The messaging domain's errors. `Display` is safe to show a user.

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

impl DomainError for Error {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::Validation(_) | Self::NotOrgMember => K::Unprocessable,
            Self::RoomNotFound
            | Self::MessageNotFound
            | Self::UserNotFound
            | Self::MemberNotFound => K::NotFound,
            Self::AdminRequired | Self::NotAuthor => K::Forbidden,
            Self::DirectRoom | Self::LastAdmin | Self::AlreadyMember | Self::MessageDeleted => {
                K::Conflict
            }
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
            Self::Access(e) => e.code(),
            Self::Database(_) => "internal",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }
}
