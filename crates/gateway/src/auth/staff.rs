//! The caller as a member of staff, checked before the handler.

use std::ops::Deref;

use poem::{Request, RequestBody};
use poem_openapi::{ApiExtractor, ExtractParamOptions};
use trellis_kernel::{Principal, Role};

use super::Caller;
use crate::error::ApiError;

/// A signed-in caller who holds the global staff role: every `/internal/*`
/// operation that acts for the operator takes one.
///
/// Fails with 401 like [`Caller`], then 403 `auth.role_required`.
#[derive(Debug)]
pub struct StaffCaller(pub Principal);

impl Deref for StaffCaller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<'a> ApiExtractor<'a> for StaffCaller {
    bearer_scheme!();

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let Caller(caller) = Caller::from_request(req, body, param_opts).await?;
        if !caller.has_role(Role::Staff) {
            return Err(ApiError::forbidden(
                "auth.role_required",
                "this operation needs the staff role",
            )
            .into());
        }
        Ok(Self(caller))
    }
}
