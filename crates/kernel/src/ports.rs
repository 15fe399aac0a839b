//! What domains need from each other, as traits. The gateway wires the
//! implementations, so domain crates never depend on one another.

use std::fmt;

use poem_openapi::Enum;
use sea_orm::{DbErr, DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

use crate::{
    ErrorKind,
    auth::Principal,
    contact::{Email, Phone},
    error::{DomainError, db_error_kind},
    id::{OrgId, UserId},
};

/// Why a message could not be handed over for delivery.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The channel is down or not configured; retrying later may work.
    #[error("delivery channel unavailable: {0}")]
    Unavailable(String),
    /// The channel refused this message (bad address...).
    #[error("message rejected: {0}")]
    Rejected(String),
}

/// An email to send.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

/// Sends email (SMTP in production, files in development).
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Hands one message to the transport.
    async fn send(&self, email: OutgoingEmail) -> Result<(), DeliveryError>;
}

/// A text message to send.
#[derive(Clone)]
pub struct OutgoingSms {
    /// The recipient.
    pub to: Phone,
    /// The text; may hold a secret code, so it is never logged by `Debug`.
    pub body: String,
}

impl fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingSms")
            .field("to", &self.to.masked())
            .finish_non_exhaustive()
    }
}

/// Sends text messages.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + 'static {
    /// Hands one message to the provider.
    async fn send(&self, sms: OutgoingSms) -> Result<(), DeliveryError>;
}

/// A member's role in an organization, weakest first (so `>=` means "at least").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Enum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrgRole {
    /// Sees and works on the organization's data.
    #[sea_orm(string_value = "member")]
    Member,
    /// Also manages members, settings and billing.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Also renames and deletes the organization and appoints owners.
    #[sea_orm(string_value = "owner")]
    Owner,
}

impl OrgRole {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }
}

/// Looks up memberships (identity implements it).
#[async_trait::async_trait]
pub trait Memberships: Send + Sync + 'static {
    /// The user's role in the organization, or `None` if not a member.
    async fn role_of(&self, user: UserId, org: OrgId) -> Result<Option<OrgRole>, DbErr>;
}

/// Why access to an organization was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Not a member: answered as if the organization did not exist.
    #[error("organization not found")]
    NotFound,
    /// A member, but with too weak a role.
    #[error("this needs the {0} role in the organization")]
    RoleTooWeak(&'static str),
    /// The lookup failed.
    #[error("membership lookup failed")]
    Database(#[from] DbErr),
}

impl DomainError for AccessError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::RoleTooWeak(_) => ErrorKind::Forbidden,
            Self::Database(e) => db_error_kind(e),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "org.not_found",
            Self::RoleTooWeak(_) => "org.role_required",
            Self::Database(_) => "internal",
        }
    }
}

/// The one call every domain makes before touching an organization's data:
/// the caller must be a member with at least `min` role. A non-member gets
/// [`AccessError::NotFound`], never a hint that the organization exists.
pub async fn require_org_role(
    memberships: &dyn Memberships,
    caller: &Principal,
    org: OrgId,
    min: OrgRole,
) -> Result<OrgRole, AccessError> {
    check_org_role(memberships.role_of(caller.user_id, org).await?, min)
}

/// The rule behind [`require_org_role`], for code that looked the role up itself.
pub fn check_org_role(found: Option<OrgRole>, min: OrgRole) -> Result<OrgRole, AccessError> {
    match found {
        None => Err(AccessError::NotFound),
        Some(role) if role >= min => Ok(role),
        Some(_) => Err(AccessError::RoleTooWeak(min.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::id::SessionId;

    struct Fixed(HashMap<(UserId, OrgId), OrgRole>);

    #[async_trait::async_trait]
    impl Memberships for Fixed {
        async fn role_of(&self, user: UserId, org: OrgId) -> Result<Option<OrgRole>, DbErr> {
            Ok(self.0.get(&(user, org)).copied())
        }
    }

    fn caller(user: UserId) -> Principal {
        Principal {
            user_id: user,
            session_id: SessionId::new(),
            roles: vec![],
            anonymous: false,
        }
    }

    #[tokio::test]
    async fn org_access_is_by_role_and_hides_foreign_orgs() {
        let (user, org, other_org) = (UserId::new(), OrgId::new(), OrgId::new());
        let m = Fixed(HashMap::from([((user, org), OrgRole::Admin)]));
        let me = caller(user);
        assert_eq!(
            require_org_role(&m, &me, org, OrgRole::Member).await.ok(),
            Some(OrgRole::Admin)
        );
        assert_eq!(
            require_org_role(&m, &me, org, OrgRole::Admin).await.ok(),
            Some(OrgRole::Admin)
        );
        assert!(matches!(
            require_org_role(&m, &me, org, OrgRole::Owner).await,
            Err(AccessError::RoleTooWeak("owner"))
        ));
        assert!(matches!(
            require_org_role(&m, &me, other_org, OrgRole::Member).await,
            Err(AccessError::NotFound)
        ));
    }

    #[test]
    fn roles_order_from_weakest() {
        assert!(OrgRole::Owner > OrgRole::Admin && OrgRole::Admin > OrgRole::Member);
    }
}

/// What an organization's plan allows (billing implements it; until then,
/// everything is unlimited).
#[async_trait::async_trait]
pub trait Entitlements: Send + Sync + 'static {
    /// The most clients a professional of `org` may keep; `None` is unlimited.
    async fn max_clients(&self, org: OrgId) -> Result<Option<u64>, DbErr>;
}

/// No limits: the default until billing wires plans.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

#[async_trait::async_trait]
impl Entitlements for Unlimited {
    async fn max_clients(&self, _org: OrgId) -> Result<Option<u64>, DbErr> {
        Ok(None)
    }
}

/// Something a person should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// What happened (`appointment.booked`, `appointment.reminder`...).
    pub kind: &'static str,
    /// Who to tell.
    pub recipient: Recipient,
    /// A one-line summary (an email subject).
    pub subject: String,
    /// The message.
    pub body: String,
}

/// How to reach someone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recipient {
    /// Display name.
    pub name: String,
    /// Email, if known.
    pub email: Option<Email>,
    /// Phone, if known.
    pub phone: Option<Phone>,
}

/// Delivers notifications on whatever channels the recipient has
/// (messaging implements templates and channels; the gateway's default emails).
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Delivers one notification.
    async fn notify(&self, notification: Notification) -> Result<(), DeliveryError>;
}
