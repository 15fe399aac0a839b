//! `/orgs/{org_id}/...` routes: the caller's membership, checked before the
//! handler runs.

use std::{marker::PhantomData, ops::Deref};

use poem::{Request, RequestBody, http::StatusCode};
use poem_openapi::{ApiExtractor, ExtractParamOptions};
use trellis_kernel::{
    Principal,
    id::OrgId,
    ports::{OrgAccess, OrgRole, require_org_role},
};

use super::{Caller, state};
use crate::error::ApiError;

/// The weakest organization role an operation accepts.
pub trait MinRole: Send + Sync + 'static {
    /// The role.
    const ROLE: OrgRole;
}

/// Role markers for [`OrgMember`]: `OrgMember<role::Admin>` admits admins and owners.
pub mod role {
    use super::{MinRole, OrgRole};

    /// Any member.
    #[derive(Debug)]
    pub struct Member;
    /// Admins and owners.
    #[derive(Debug)]
    pub struct Admin;
    /// Owners only.
    #[derive(Debug)]
    pub struct Owner;

    impl MinRole for Member {
        const ROLE: OrgRole = OrgRole::Member;
    }
    impl MinRole for Admin {
        const ROLE: OrgRole = OrgRole::Admin;
    }
    impl MinRole for Owner {
        const ROLE: OrgRole = OrgRole::Owner;
    }
}

/// A signed-in member of the organization in the request path
/// (`/orgs/{org_id}/...`), with at least role `R`.
///
/// Declare it first, then the path parameter for the spec:
///
/// ```ignore
/// async fn rename(&self, member: OrgMember<role::Admin>, org_id: Path<OrgId>, ...)
/// ```
///
/// It fails with 401 (no valid token), 400 (`org_id` is not an id), 404
/// `org.not_found` (not a member: a foreign organization looks like a
/// missing one) or 403 `org.role_required` (a member with too weak a role).
/// The handler passes [`OrgMember::access`] to the service and checks
/// nothing itself.
///
/// Why not a path parameter itself: poem-openapi numbers path variables by
/// position and counts only arguments of type `Path<_>`, so an extractor
/// that was also a parameter would shift every later `Path` argument onto
/// the wrong variable. The organization is read from the request path
/// instead: the segment after `orgs`.
#[derive(Debug)]
pub struct OrgMember<R: MinRole> {
    /// Who is calling.
    pub caller: Principal,
    /// Proof of membership: the organization and the caller's role in it.
    pub access: OrgAccess,
    _role: PhantomData<R>,
}

impl<R: MinRole> Deref for OrgMember<R> {
    type Target = OrgAccess;

    fn deref(&self) -> &OrgAccess {
        &self.access
    }
}

/// The organization id in a request path: the segment after `orgs`.
fn org_in_path(path: &str) -> Result<OrgId, ApiError> {
    let mut segments = path.split('/');
    let raw = segments
        .by_ref()
        .find(|s| *s == "orgs")
        .and_then(|_| segments.next())
        .unwrap_or_default();
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.invalid_parameter",
            "failed to parse path `org_id`: not an organization id",
        )
    })
}

impl<'a, R: MinRole> ApiExtractor<'a> for OrgMember<R> {
    bearer_scheme!();

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let Caller(caller) = Caller::from_request(req, body, param_opts).await?;
        let org = org_in_path(req.uri().path())?;
        let state = state(req)?;
        let access = require_org_role(state.memberships.as_ref(), &caller, org, R::ROLE)
            .await
            .map_err(ApiError::from)?;
        Ok(Self {
            caller,
            access,
            _role: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_org_is_the_segment_after_orgs() {
        let id = OrgId::new();
        for path in [
            format!("/api/v1/orgs/{id}"),
            format!("/api/v1/orgs/{id}/members/{}", OrgId::new()),
        ] {
            assert_eq!(org_in_path(&path).ok(), Some(id), "{path}");
        }
        for path in [
            "/api/v1/orgs/",
            "/api/v1/orgs/nope/members",
            "/api/v1/users/me",
        ] {
            let err = org_in_path(path).map_err(|e| e.status().as_u16());
            assert_eq!(err, Err(400), "{path}");
        }
    }
}
