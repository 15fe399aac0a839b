//! Who may reach an organization's data: memberships and the role check
//! every org-scoped operation goes through.

use poem_openapi::Enum;
use sea_orm::{DbErr, DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

use crate::{
    ErrorKind,
    auth::Principal,
    contact::Email,
    error::{DomainError, db_error_kind},
    id::{OrgId, UserId},
};

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

    /// The member of the organization whose account has this email, or
    /// `None` when no member has it (an account that is not a member is
    /// not found either). For files that name people by email.
    ///
    /// The default knows nobody: a test double that needs it says so.
    async fn member_by_email(&self, org: OrgId, email: &Email) -> Result<Option<UserId>, DbErr> {
        let _ = (org, email);
        Ok(None)
    }

    /// Who the accounts among `users` are (name and email), for labels of
    /// an organization's own records: members past and present, so time a
    /// former member logged still carries their name. Unknown ids are left
    /// out; the order is not `users`'.
    ///
    /// The default knows nobody: labels are then absent.
    async fn profiles(&self, users: &[UserId]) -> Result<Vec<Profile>, DbErr> {
        let _ = users;
        Ok(Vec::new())
    }
}

/// An account as others' records name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The account.
    pub user_id: UserId,
    /// Its display name, if it has one.
    pub name: Option<String>,
    /// Its email, if it has one (anonymous and phone-only accounts do not).
    pub email: Option<Email>,
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

/// Proof that a user's membership of an organization was checked.
///
/// Org-scoped services take `&OrgAccess` instead of a bare `OrgId`, so a
/// service cannot be reached for an organization nobody checked: the only
/// ways to get one are [`require_org_role`] (what the gateway's `OrgMember`
/// extractor calls) and, in tests, [`OrgAccess::assume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgAccess {
    user_id: UserId,
    org_id: OrgId,
    role: OrgRole,
}

impl OrgAccess {
    /// The member.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The organization.
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// The member's role (at least the one the operation required).
    pub fn role(&self) -> OrgRole {
        self.role
    }

    /// True if the member holds at least `min`, for rules finer than the
    /// operation's own requirement (only an owner may appoint owners).
    pub fn at_least(&self, min: OrgRole) -> bool {
        self.role >= min
    }

    /// [`at_least`](Self::at_least) as a refusal: 403 `org.role_required`
    /// naming `min`, for operations a weaker member may reach but not do.
    pub fn require(&self, min: OrgRole) -> Result<(), AccessError> {
        if self.at_least(min) {
            Ok(())
        } else {
            Err(AccessError::RoleTooWeak(min.as_str()))
        }
    }

    /// Access granted without a lookup: for domain tests that set up
    /// memberships by hand. Production code gets access from [`require_org_role`].
    #[cfg(any(test, feature = "testing"))]
    pub fn assume(user_id: UserId, org_id: OrgId, role: OrgRole) -> Self {
        Self {
            user_id,
            org_id,
            role,
        }
    }
}

/// The one call every org-scoped operation makes before touching an
/// organization's data: the caller must be a member with at least `min`
/// role. A non-member gets [`AccessError::NotFound`], never a hint that the
/// organization exists.
pub async fn require_org_role(
    memberships: &dyn Memberships,
    caller: &Principal,
    org: OrgId,
    min: OrgRole,
) -> Result<OrgAccess, AccessError> {
    let role = check_org_role(memberships.role_of(caller.user_id, org).await?, min)?;
    Ok(OrgAccess {
        user_id: caller.user_id,
        org_id: org,
        role,
    })
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
            require_org_role(&m, &me, org, OrgRole::Member)
                .await
                .ok()
                .map(|a| (a.org_id(), a.role())),
            Some((org, OrgRole::Admin))
        );
        assert_eq!(
            require_org_role(&m, &me, org, OrgRole::Admin)
                .await
                .map(|a| a.role())
                .ok(),
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

    #[test]
    fn serde_writes_roles_as_to_json_does() {
        use sea_orm::Iterable;

        crate::testing::assert_same_json(&OrgRole::iter().collect::<Vec<_>>());
    }
}
