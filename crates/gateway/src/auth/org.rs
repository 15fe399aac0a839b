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
/// (`/orgs/{org_id}/...`, or an `org_id` query parameter on routes outside
/// it), with at least role `R`.
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

/// The organization a request names: the path segment after `orgs`, or
/// for the few routes outside `/orgs/{org_id}` (billing's subscription,
/// checkout and portal) the `org_id` query parameter.
fn org_in_request(req: &Request) -> Result<OrgId, ApiError> {
    let path = req.uri().path();
    if path.split('/').any(|s| s == "orgs") {
        return org_in_path(path);
    }
    let raw = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("org_id="))
        .unwrap_or_default();
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.invalid_parameter",
            "failed to parse query `org_id`: not an organization id",
        )
    })
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
        let org = org_in_request(req)?;
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
    fn outside_orgs_the_org_is_the_query_parameter() {
        let id = OrgId::new();
        let request = |uri: &str| Request::builder().uri(uri.parse().unwrap()).finish();
        let named = request(&format!("/api/v1/billing/subscription?x=1&org_id={id}"));
        assert_eq!(org_in_request(&named).ok(), Some(id));
        for uri in [
            "/api/v1/billing/subscription",
            "/api/v1/billing/portal?org_id=nope",
        ] {
            let err = org_in_request(&request(uri)).map_err(|e| e.status().as_u16());
            assert_eq!(err, Err(400), "{uri}");
        }
        let path = request(&format!(
            "/api/v1/orgs/{id}/invoices?org_id={}",
            OrgId::new()
        ));
        assert_eq!(org_in_request(&path).ok(), Some(id));
    }

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
